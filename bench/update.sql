\set id random(1, 100000)
UPDATE bench_counter SET n = n + 1 WHERE id = :id;
