package dev.segments.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Test helper: a graphql-transport-ws connection to /graphql, authenticated with the key on the upgrade request
 * ({@link #connect}) or, as a browser does, in the connection_init payload ({@link #open} and {@link #init}).
 */
public final class GraphQLSocket {

    private GraphQLSocket() {
    }

    /** Connects, sends connection_init and waits for the ack; every later message is added to messages. */
    public static WebSocket connect(Vertx vertx, URI graphql, String key, BlockingQueue<JsonObject> messages) throws Exception {
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setHost(graphql.getHost()).setPort(graphql.getPort()).setURI(graphql.getPath())
                .setSubProtocols(List.of("graphql-transport-ws"))
                .addHeader("Authorization", "Bearer " + key);
        WebSocket ws = vertx.createWebSocketClient().connect(options).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        ws.textMessageHandler(text -> messages.add(new JsonObject(text)));
        ws.writeTextMessage(new JsonObject().put("type", "connection_init").encode());
        JsonObject ack = messages.poll(10, TimeUnit.SECONDS);
        assertEquals("connection_ack", ack == null ? null : ack.getString("type"));
        return ws;
    }

    /**
     * Opens the socket (with the key on the upgrade request when {@code headerKey} is set); every message is added to
     * messages, and the close status (or -1 for a connection lost without a close frame) completes {@code closed}.
     */
    public static WebSocket open(Vertx vertx, URI graphql, String headerKey, BlockingQueue<JsonObject> messages,
                                 java.util.concurrent.CompletableFuture<Integer> closed) throws Exception {
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setHost(graphql.getHost()).setPort(graphql.getPort()).setURI(graphql.getPath())
                .setSubProtocols(List.of("graphql-transport-ws"));
        if (headerKey != null) {
            options.addHeader("Authorization", "Bearer " + headerKey);
        }
        WebSocket ws = vertx.createWebSocketClient().connect(options).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        ws.textMessageHandler(text -> messages.add(new JsonObject(text)));
        ws.closeHandler(v -> closed.complete(ws.closeStatusCode() == null ? -1 : (int) ws.closeStatusCode()));
        return ws;
    }

    /** Sends connection_init with this payload (null: none). */
    public static void init(WebSocket ws, JsonObject payload) {
        JsonObject init = new JsonObject().put("type", "connection_init");
        if (payload != null) {
            init.put("payload", payload);
        }
        ws.writeTextMessage(init.encode());
    }

    /** Starts a subscription with this id. */
    public static void subscribe(WebSocket ws, String id, String query) {
        ws.writeTextMessage(new JsonObject().put("id", id).put("type", "subscribe")
                .put("payload", new JsonObject().put("query", query)).encode());
    }
}
