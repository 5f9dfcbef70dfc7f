package dev.segments.webhook.service;

import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Resolves a webhook host name to its addresses. Blocking (the system resolver: hosts file, then DNS), so
 * {@link WebhookTargets} calls it on a worker thread. Tests replace this bean with a fixed table, so they never
 * send a DNS query.
 */
@ApplicationScoped
public class HostResolver {

    /** Every address of the name, in the order the system resolver returns them. */
    public List<InetAddress> resolve(String name) throws UnknownHostException {
        return List.of(InetAddress.getAllByName(name));
    }
}
