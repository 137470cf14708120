ALTER TABLE `lessllm_calls` ADD `call_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `lessllm_calls_call_id_idx` ON `lessllm_calls` (`call_id`);