-- Schema and deterministic seed data for every app of the shootout.
-- Idempotent: running it again resets the table to exactly the 1,000 seed rows
-- (ids 1..1000, next inserted id 1001), which is what the tool does before each
-- framework's database scenarios.
BEGIN;

DROP TABLE IF EXISTS items;

CREATE TABLE items (
    id          SERIAL PRIMARY KEY,
    name        VARCHAR(255)   NOT NULL,
    description TEXT           DEFAULT '',
    price       NUMERIC(10, 2) NOT NULL DEFAULT 0.00,
    created_at  TIMESTAMP      NOT NULL DEFAULT NOW()
);

INSERT INTO items (id, name, description, price, created_at)
SELECT n,
       'item-' || n,
       'Description for item ' || n,
       ((n * 37) % 10000) / 100.0,
       TIMESTAMP '2026-01-01 00:00:00' + n * INTERVAL '1 minute'
FROM generate_series(1, 1000) AS n;

-- The rows above carry explicit ids, so move the sequence past them.
SELECT setval(pg_get_serial_sequence('items', 'id'), 1000, true);

COMMIT;

ANALYZE items;
