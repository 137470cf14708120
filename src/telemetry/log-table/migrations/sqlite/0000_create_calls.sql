CREATE TABLE `lessllm_calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`started_at` integer NOT NULL,
	`trace_id` text,
	`span_id` text,
	`client_protocol` text NOT NULL,
	`provider` text NOT NULL,
	`provider_type` text NOT NULL,
	`route` text NOT NULL,
	`requested_model` text NOT NULL,
	`upstream_model` text NOT NULL,
	`response_model` text,
	`stream` integer NOT NULL,
	`status` integer NOT NULL,
	`error_type` text,
	`ttft_ms` real,
	`tpot_ms` real,
	`tokens_per_second` real,
	`duration_ms` real NOT NULL,
	`overhead_ms` real NOT NULL,
	`input_tokens` integer,
	`output_tokens` integer,
	`cache_read_tokens` integer,
	`cache_write_tokens` integer,
	`usage_estimated` integer NOT NULL,
	`cost_usd` real NOT NULL,
	`cost_known` integer NOT NULL,
	`request_body` text,
	`response_body` text,
	`http_details` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `lessllm_calls_started_at_idx` ON `lessllm_calls` (`started_at`);--> statement-breakpoint
CREATE INDEX `lessllm_calls_requested_model_idx` ON `lessllm_calls` (`requested_model`,`started_at`);