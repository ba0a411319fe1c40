# The one test command (README.md): vet, race-enabled unit tests, then the
# evaluations over ../shared/facedata without the race detector (they are
# numeric and 5-10x slower under -race; they skip when the data is absent).
GO ?= go

.PHONY: test vet unit eval bench

test: vet unit eval

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

eval:
	$(GO) test -count=1 -tags eval -run 'Eval' -timeout 30m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
