package dev.segments.attribute.persistence;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.Objects;

/** A custom attribute declared by a tenant for customers, purchases or interactions. */
@Entity
@Table(name = "attribute_definition")
public class AttributeDefinition extends PanacheEntityBase {

    @EmbeddedId
    public Key id;

    @Column(nullable = false)
    public String type;

    public String description;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Embeddable
    public static class Key implements Serializable {
        @Column(name = "tenant_id")
        public Long tenantId;
        @Column(name = "entity")
        public String entity;
        @Column(name = "key")
        public String key;

        public Key() {
        }

        public Key(long tenantId, String entity, String key) {
            this.tenantId = tenantId;
            this.entity = entity;
            this.key = key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(tenantId, k.tenantId) && Objects.equals(entity, k.entity)
                    && Objects.equals(key, k.key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(tenantId, entity, key);
        }
    }
}
