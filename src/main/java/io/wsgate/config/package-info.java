/**
 * The one {@code wsgate.*} properties tree, and each route's wsgate settings (its metadata) parsed and validated
 * once per route version into {@link io.wsgate.config.RouteSettings}. Uses only {@code vocabulary}.
 */
package io.wsgate.config;
