# The one test command (README.md): vet, race-enabled unit tests, then the
# evaluations over ../shared/facedata without the race detector (they are
# numeric and 5-10x slower under -race; they skip when the data is absent,
# and fail instead under CI=true: internal/testenv).
GO ?= go

.PHONY: test vet unit eval browser bench

test: vet unit eval browser adapters arm64

# The Redis and PostgreSQL adapters are a module of their own (adapters/);
# their tests skip when the servers are absent (adapters/ci/services.sh),
# and fail instead under CI=true.
.PHONY: adapters
adapters:
	cd adapters && $(GO) vet ./... && $(GO) test -race -count=1 -timeout 20m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

eval:
	$(GO) test -count=1 -tags eval -run 'Eval' -skip 'TestAttackEval' -timeout 30m ./...
	$(MAKE) attack

# Latency under attack compares honest traffic with and without attackers
# in one run, so it runs alone, after the other evaluations.
.PHONY: attack
attack:
	$(GO) test -count=1 -tags eval -run 'TestAttackEval' -timeout 10m ./liveness/httpapi/

# The hosted page and SDK in headless Chromium with a fake camera (skips
# when chromium, node_modules or ../shared/facedata are absent).
browser:
	$(GO) test -count=1 -tags browser -run Browser -timeout 20m ./liveness/httpapi/webtest/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The arm64 kernels (NEON and portable Go kernels of face/internal/nn, the
# landmark and face embedding models on them, the portable JPEG inverse
# DCT): the tests are cross-compiled and run under qemu-user (Debian
# package qemu-user-static), from each package's directory as go test does.
ARM64_PKGS ?= face/internal/nn face/internal/mesh face/internal/mobileface face/internal/jpeg
QEMU_ARM64 ?= qemu-aarch64-static
.PHONY: arm64
arm64:
	@command -v $(QEMU_ARM64) >/dev/null || { echo "$(QEMU_ARM64) missing (apt-get install qemu-user-static)"; exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for p in $(ARM64_PKGS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) test -c -o "$$tmp/$$(basename $$p).test" ./$$p; \
		echo "arm64 (qemu): $$p"; \
		(cd $$p && $(QEMU_ARM64) "$$tmp/$$(basename $$p).test" -test.count=1 -test.timeout=20m); \
	done
