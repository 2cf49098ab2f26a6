-- Actions of people (cancel, modify, confirm cash) carry who asked: StatusChange v2's Actor, the token subject.
-- Null for the pipeline's own steps and partner events, and for every row written before.
ALTER TABLE order_status_history ADD COLUMN actor text;
