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

/** Test helper: a graphql-transport-ws connection to /graphql, authenticated with the key on the upgrade request. */
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

    /** Starts a subscription with this id. */
    public static void subscribe(WebSocket ws, String id, String query) {
        ws.writeTextMessage(new JsonObject().put("id", id).put("type", "subscribe")
                .put("payload", new JsonObject().put("query", query)).encode());
    }
}
