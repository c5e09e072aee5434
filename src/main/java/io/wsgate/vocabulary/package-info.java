/**
 * The words of the domain that every feature shares: a session's {@link io.wsgate.vocabulary.Leg}s, the
 * {@link io.wsgate.vocabulary.Direction} a message travels, who closed a session and why, why a handshake was
 * refused. Plain enums with their tag values; this package uses nothing of wsgate's.
 */
package io.wsgate.vocabulary;
