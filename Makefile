# The few targets people use. The README's commands work without make too.
.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: run
run: ## Serve the bundled demo on :8081 (its committed history, embedded store in ./data)
	go run ./cmd/registry serve

.PHONY: test
test: ## Run every test (what CI runs)
	go test ./...

.PHONY: lint
lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...

.PHONY: ci
ci: ## Run the CI script locally
	bash .ci/run

.PHONY: fuzz
fuzz: ## Fuzz the parsers, the engine and the HTTP layer for a while each (FUZZTIME=1m)
	go test -run='^$$' -fuzz=FuzzLoadServiceYAML -fuzztime=$${FUZZTIME:-1m} ./catalog/
	go test -run='^$$' -fuzz=FuzzParseTopicName -fuzztime=$${FUZZTIME:-1m} ./catalog/
	go test -run='^$$' -fuzz=FuzzCheck -fuzztime=$${FUZZTIME:-1m} ./compat/
	go test -run='^$$' -fuzz=FuzzHTTP -fuzztime=$${FUZZTIME:-1m} ./api/
	go test -run='^$$' -fuzz=FuzzDecode -fuzztime=$${FUZZTIME:-1m} ./client/

.PHONY: bench
bench: ## Run the benchmark programs (see docs/BENCHMARKS.md; needs buf and wrk)
	go run ./bench/compat
	go run ./bench/lint
	go run ./bench/serve
	go run ./bench/sync -commits 1000

.PHONY: screenshots
screenshots: ## Regenerate docs/screenshots/*.png from the test estate (needs chromium)
	go test -count=1 ./test/browser/ -run '^TestScreenshots$$' -screenshots

.PHONY: openapi
openapi: ## Print the OpenAPI document
	go run ./cmd/registry openapi
