CREATE TABLE "lessllm_calls" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lessllm_calls_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"started_at" timestamp (3) with time zone NOT NULL,
	"trace_id" text,
	"span_id" text,
	"client_protocol" text NOT NULL,
	"provider" text NOT NULL,
	"provider_type" text NOT NULL,
	"route" text NOT NULL,
	"requested_model" text NOT NULL,
	"upstream_model" text NOT NULL,
	"response_model" text,
	"stream" boolean NOT NULL,
	"status" integer NOT NULL,
	"error_type" text,
	"ttft_ms" double precision,
	"tpot_ms" double precision,
	"tokens_per_second" double precision,
	"duration_ms" double precision NOT NULL,
	"overhead_ms" double precision NOT NULL,
	"input_tokens" integer,
	"output_tokens" integer,
	"cache_read_tokens" integer,
	"cache_write_tokens" integer,
	"usage_estimated" boolean NOT NULL,
	"cost_usd" double precision NOT NULL,
	"cost_known" boolean NOT NULL,
	"request_body" text,
	"response_body" text,
	"http_details" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "lessllm_calls_started_at_idx" ON "lessllm_calls" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "lessllm_calls_requested_model_idx" ON "lessllm_calls" USING btree ("requested_model","started_at");