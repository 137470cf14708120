ALTER TABLE `lessllm_calls` ADD `key_name` text;--> statement-breakpoint
ALTER TABLE `lessllm_calls` ADD `attempts` integer;