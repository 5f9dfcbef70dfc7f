package dev.segments.tenant.persistence;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** A workspace: every other row belongs to exactly one tenant. */
@Entity
@Table(name = "tenant")
public class Tenant extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(nullable = false)
    public String name;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    /** The tenant's own sustained request rate; null: the configured default. */
    @Column(name = "rate_limit_per_second")
    public Integer rateLimitPerSecond;

    /** The tenant's own burst; null: the configured default. */
    @Column(name = "rate_limit_burst")
    public Integer rateLimitBurst;
}
