#!/usr/bin/env node
// The `lessllm` command for npm's bin: Node ≥ 22.18 runs the TypeScript source directly.
import '../src/main.ts';
