/**
 * The handshake and the backend connection: the global filter that checks the upgrade, connects the backend first
 * and upgrades the client only when the backend has accepted, with the backend's subprotocol and per-leg
 * permessage-deflate; the order of every wsgate filter ({@link io.wsgate.proxy.FilterOrder}). Hands the open
 * session to {@code session} and installs the frame checks of {@code pipeline}; uses {@code config},
 * {@code metrics} and {@code vocabulary}.
 */
package io.wsgate.proxy;
