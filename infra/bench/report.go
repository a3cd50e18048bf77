package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Budgets of DESIGN §5 and of the make bench issue.
const (
	// initBudget is how much longer than the hello-world Lambda a function's init may take.
	initBudget = 5 * time.Millisecond
	// sizeBudget is the largest raw bootstrap, in bytes (10 MB, counted as 10^7 bytes so that
	// it also holds for the larger reading of MB).
	sizeBudget = 10_000_000
	// overheadBudget is the largest p99 of our own time per request.
	overheadBudget = time.Millisecond
	// flatTolerance is how much the median of a read at the largest organization may exceed
	// the same read at the smallest for its cost to count as flat, given that the round trips
	// are the same: more than noise on this machine, far less than any growth with the number
	// of cases would show.
	flatTolerance = 1.25
	// initNoise is the smallest difference between two medians of init that the report calls a
	// cost rather than noise.
	initNoise = 500 * time.Microsecond
)

// results is everything the report shows.
type results struct {
	opt       options
	machine   machine
	date      time.Time
	elapsed   time.Duration
	functions []string
	// memoryMB is the functions' memory size in template.yaml.
	memoryMB int

	roundTrips   roundTrips
	roundTripErr error

	coldStarts []coldStartRow
	jwksFetch  time.Duration
	sizes      []binarySize
	links      map[string]linkage

	latency  []*measurement
	scale    []scaleRow
	seedTime time.Duration
}

// scaleRow is one organization size of the scale measurement.
type scaleRow struct {
	cases            int
	authorizer, read *measurement
}

// md accumulates markdown.
type md struct{ strings.Builder }

func (b *md) line(format string, args ...any) {
	fmt.Fprintf(b, format, args...)
	b.WriteByte('\n')
}

// row writes one table row.
func (b *md) row(cells ...string) {
	b.line("| %s |", strings.Join(cells, " | "))
}

// header writes a table header.
func (b *md) header(cells ...string) {
	b.row(cells...)
	seps := make([]string, len(cells))
	for i := range seps {
		seps[i] = "---"
	}
	b.row(seps...)
}

// markdown renders the report.
func (r *results) markdown() string {
	var b md
	b.line("# Benchmarks")
	b.line("")
	b.line("Written by `make bench` (`go run ./infra/bench`) on %s; the run took %s. Every figure comes from",
		r.date.Format("2006-01-02"), r.elapsed.Round(time.Second))
	b.line("this one run on one machine, which may be shared and noisy: compare figures within this report,")
	b.line("not across runs. Budgets on time are judged against a reference measured in the same run (a")
	b.line("hello-world Lambda) or on counts of DynamoDB calls, which noise cannot move.")
	b.line("")
	b.line("## Machine")
	b.line("")
	b.header("CPU", "cores", "memory", "Go", "OS/arch")
	b.row(r.machine.CPU, fmt.Sprint(r.machine.Cores), r.machine.Memory, r.machine.Go, r.machine.OSArch)
	b.line("")
	r.budgets(&b)
	r.roundTripSection(&b)
	r.coldStartSection(&b)
	r.sizeSection(&b)
	r.latencySection(&b)
	r.scaleSection(&b)
	return b.String()
}

// coldStart returns the cold-start row of name.
func (r *results) coldStart(name string) (coldStartRow, bool) {
	for _, c := range r.coldStarts {
		if c.Name == name {
			return c, true
		}
	}
	return coldStartRow{}, false
}

// routeFunctions are the functions other than the authorizer.
func (r *results) routeFunctions() []string {
	var out []string
	for _, f := range r.functions {
		if f != "authorizer" {
			out = append(out, f)
		}
	}
	return out
}

// budgets writes the summary of every budget.
func (r *results) budgets(b *md) {
	b.line("## Budgets")
	b.line("")
	b.header("budget", "limit", "result")

	// Round trips.
	if r.roundTripErr != nil {
		b.row("DynamoDB round trips", "DESIGN §5", "**not measured**: see §1")
	} else {
		for _, kind := range []struct{ name, kinds, limit string }{
			{"DynamoDB round trips: authorizer", "authorizer", "exactly one GetItem"},
			{"DynamoDB round trips: reads (one item, lists)", "read one,list,read", "at most 2 sequential waves"},
			{"DynamoDB round trips: changes", "change", "exactly one write (a transaction counts one)"},
		} {
			var met, measured int
			var missed, unmeasured []string
			for _, row := range r.roundTrips.rows {
				if !slices.Contains(strings.Split(kind.kinds, ","), row.Kind) {
					continue
				}
				switch {
				case row.Problem != "":
					unmeasured = append(unmeasured, row.ID)
				case row.Met:
					measured++
					met++
				default:
					measured++
					missed = append(missed, row.ID)
				}
			}
			result := fmt.Sprintf("%s: %d of %d measured", verdict(met == measured), met, measured)
			if len(missed) > 0 {
				result += " (not met: " + strings.Join(missed, ", ") + ")"
			}
			if len(unmeasured) > 0 {
				result += "; **not measured** (see §1): " + strings.Join(unmeasured, ", ")
			}
			b.row(kind.name, kind.limit, result)
		}
	}

	// Cold start.
	ref, _ := r.coldStart(hello)
	var met int
	var missed []string
	routes := r.routeFunctions()
	for _, f := range routes {
		c, _ := r.coldStart(f)
		if c.Median-ref.Median <= initBudget {
			met++
		} else {
			missed = append(missed, f)
		}
	}
	result := fmt.Sprintf("%s: %d of %d route functions", verdict(met == len(routes)), met, len(routes))
	if len(missed) > 0 {
		result += " (not met: " + strings.Join(missed, ", ") + ")"
	}
	b.row("Lambda init, route functions", "median at most "+ms(initBudget)+" over hello-world", result)
	if a, ok := r.coldStart("authorizer"); ok {
		over := a.Median - ref.Median
		b.row("Lambda init, authorizer", "the same",
			fmt.Sprintf("%s as measured (%s, of which a JWKS fetch of about %s); %s without the fetch (%s): see §2",
				verdict(over <= initBudget), signedMS(over), ms(r.jwksFetch), verdict(over-r.jwksFetch <= initBudget), signedMS(over-r.jwksFetch)))
	}

	// Size.
	met, missed = 0, nil
	for _, s := range r.sizes {
		if !slices.Contains(r.functions, s.Name) {
			continue
		}
		if s.Raw <= sizeBudget {
			met++
		} else {
			missed = append(missed, s.Name)
		}
	}
	result = fmt.Sprintf("%s: %d of %d functions", verdict(met == len(r.functions)), met, len(r.functions))
	switch {
	case met == 0:
		result += " (see §3)"
	case len(missed) > 0:
		result += " (not met: " + strings.Join(missed, ", ") + "; see §3)"
	}
	b.row("Binary size (linux/arm64)", "at most "+megabytes(sizeBudget)+" raw", result)

	// Overhead.
	var parts []string
	allMet := true
	for _, m := range r.latency {
		p99 := percentile(m.overhead, 99)
		allMet = allMet && p99 <= overheadBudget
		parts = append(parts, fmt.Sprintf("%s p99 %s", m.name, ms(p99)))
	}
	b.row("Our overhead per request (total − DynamoDB wait)", "p99 at most "+ms(overheadBudget), verdict(allMet)+": "+strings.Join(parts, "; "))

	// Scale.
	flat, why := r.scaleFlat()
	b.row("Scale with the number of cases", "no growth", verdict(flat)+": "+why)
	b.line("")
}

// scaleFlat judges the scale measurement: the same DynamoDB calls and waves at every size,
// and medians at the largest size within flatTolerance of the smallest.
func (r *results) scaleFlat() (bool, string) {
	if len(r.scale) < 2 {
		return false, "fewer than two sizes measured"
	}
	first, last := r.scale[0], r.scale[len(r.scale)-1]
	sameCalls := true
	for _, s := range r.scale {
		for _, pair := range [][2]*measurement{{s.authorizer, first.authorizer}, {s.read, first.read}} {
			m, ref := pair[0], pair[1]
			if m.callsMin != ref.callsMin || m.callsMax != ref.callsMax || m.wavesMin != ref.wavesMin || m.wavesMax != ref.wavesMax {
				sameCalls = false
			}
		}
	}
	ra := float64(median(last.authorizer.total)) / float64(median(first.authorizer.total))
	rr := float64(median(last.read.total)) / float64(median(first.read.total))
	why := fmt.Sprintf("same DynamoDB calls and waves at every size: %s; median at %s cases / at %s: authorizer ×%.2f, case read ×%.2f",
		yesNo(sameCalls), thousands(last.cases), thousands(first.cases), ra, rr)
	return sameCalls && ra <= flatTolerance && rr <= flatTolerance, why
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func (r *results) roundTripSection(b *md) {
	b.line("## 1. DynamoDB round trips per route")
	b.line("")
	b.line("`TestRoundTripBudgets` (pkg/api, part of `make test`) calls every route of the route table")
	b.line("in-process, as an admin of a freshly seeded organization (a client with two cases, a client")
	b.line("without cases), against DynamoDB Local, and records every DynamoDB call with client middleware")
	b.line("(pkg/roundtrip). Calls whose time intervals overlap form one wave; waves are what a request")
	b.line("waits for one after the other. The authorizer's calls go through their own client and are")
	b.line("counted apart: one GetItem for every organization route, none otherwise. A route without a")
	b.line("fixture in the test fails it. `make bench` runs the same test and reports what it measured.")
	b.line("")
	if r.roundTripErr != nil {
		b.line("**The round-trip test could not report:** %s", r.roundTripErr)
		b.line("")
		return
	}
	b.header("route", "kind", "status", "calls", "writes", "waves", "DynamoDB calls", "budget", "result")
	for _, row := range r.roundTrips.rows {
		result := verdict(row.Met)
		if row.Problem != "" {
			result = "**not measured: " + row.Problem + "**"
		}
		status := "—"
		if row.Status != 0 {
			status = fmt.Sprint(row.Status)
		}
		route := "`" + row.Route + "`"
		if row.Kind == "authorizer" {
			route = "authorizer (organization route)"
		}
		b.row(route, row.Kind, status, fmt.Sprint(row.Calls), fmt.Sprint(row.Writes), fmt.Sprint(row.Waves),
			strings.Join(row.Operations, ", "), row.Budget, result)
	}
	b.line("")
	if !r.roundTrips.passed {
		b.line("The test failed:")
		b.line("")
		b.line("```")
		b.line("%s", r.roundTrips.output)
		b.line("```")
		b.line("")
	}
}

func (r *results) coldStartSection(b *md) {
	ref, _ := r.coldStart(hello)
	b.line("## 2. Cold start per function")
	b.line("")
	b.line("Each function is built as deployed (`CGO_ENABLED=0 go build -tags lambda.norpc -trimpath")
	b.line("-ldflags \"-s -w\"`) but for this machine (%s), and its `bootstrap` is started under a Lambda", r.machine.OSArch)
	b.line("Runtime API stub with the environment Lambda gives it and the configuration of template.yaml")
	b.line("pointing at the emulators. Init is the time from just before the exec to the function's first")
	b.line("`GET /2018-06-01/runtime/invocation/next`. Every binary is started once to warm the page cache,")
	b.line("then %d times, interleaved with the others (each round starts every binary once, from a", r.opt.starts)
	b.line("different first one), so that the machine's noise falls on all of them alike; the table shows")
	b.line("the median and the fastest start. The budget is the median at most %s over hello-world.", ms(initBudget))
	b.line("Lambda adds its own work (fetching the code, starting the sandbox) to every function alike;")
	b.line("that is not measured here.")
	b.line("")
	b.header("function", "median init", "fastest", "over hello-world", "budget (≤ +"+ms(initBudget)+")")
	for _, f := range r.routeFunctions() {
		c, _ := r.coldStart(f)
		over := c.Median - ref.Median
		b.row(f, ms(c.Median), ms(c.Min), signedMS(over), verdict(over <= initBudget))
	}
	b.line("")
	if a, ok := r.coldStart("authorizer"); ok {
		over := a.Median - ref.Median
		b.line("**The authorizer** is reported apart: its init fetches the user pool's signing keys (JWKS)")
		b.line("over HTTP (pkg/auth, `NewVerifier`), so that no request waits for them later. That is a network")
		b.line("round trip, not our code's work: here to cognito-local on this machine, in AWS a TLS connection")
		b.line("to Cognito's public endpoint, which takes longer.")
		b.line("")
		b.header("function", "median init", "fastest", "over hello-world", "JWKS fetch (median, fresh connection)", "over hello-world without the fetch", "budget")
		b.row("authorizer", ms(a.Median), ms(a.Min), signedMS(over), ms(r.jwksFetch), signedMS(over-r.jwksFetch),
			fmt.Sprintf("%s as measured, %s without the fetch", verdict(over <= initBudget), verdict(over-r.jwksFetch <= initBudget)))
		b.line("")
	}
	b.line("**Reference Lambdas** (infra/bench): `hello` is aws-lambda-go's `lambda.Start` on a handler that")
	b.line("does nothing; `hello-sdk` adds a DynamoDB client on an `aws.Config` built by hand with static")
	b.line("credentials from the environment, as our functions do (pkg/awslambda, `Config.DynamoDB`);")
	b.line("`hello-config` builds the same client on `config.LoadDefaultConfig` instead; `hello-template` is")
	b.line("`hello-sdk` rendering an html/template (see §3).")
	b.line("")
	b.header("reference", "median init", "fastest", "over hello-world", "size raw (linux/arm64)")
	for _, n := range referenceNames {
		c, _ := r.coldStart(n)
		b.row(n, ms(c.Median), ms(c.Min), signedMS(c.Median-ref.Median), megabytes(r.size(n).Raw))
	}
	b.line("")
	sdk, _ := r.coldStart(helloSDK)
	cfg, _ := r.coldStart(helloConfig)
	initDiff := cfg.Median - sdk.Median
	sizeDiff := r.size(helloConfig).Raw - r.size(helloSDK).Raw
	zipDiff := r.size(helloConfig).Zipped - r.size(helloSDK).Zipped
	if initDiff >= initNoise {
		b.line("Loading the configuration with `config.LoadDefaultConfig` instead of building the `aws.Config`")
		b.line("by hand (hello-config against hello-sdk) costs %s of init, %s of binary and %s zipped.", signedMS(initDiff), signedBytes(sizeDiff), signedBytes(zipDiff))
	} else {
		b.line("Loading the configuration with `config.LoadDefaultConfig` instead of building the `aws.Config`")
		b.line("by hand (hello-config against hello-sdk) makes a difference to init this run cannot tell from")
		b.line("noise (%s; under %s), but costs %s of binary and %s zipped.", signedMS(initDiff), ms(initNoise), signedBytes(sizeDiff), signedBytes(zipDiff))
	}
	b.line("The loader links the whole credential chain (SSO, SSO-OIDC, STS, IMDS, the shared config and")
	b.line("credentials files) and reads those files at init; a Lambda has its role's credentials in its")
	b.line("environment and needs none of it. Building the configuration by hand also means a function can")
	b.line("never pick up a stray config file. That is why the functions build it by hand.")
	b.line("")
}

// size returns the size row of name.
func (r *results) size(name string) binarySize {
	for _, s := range r.sizes {
		if s.Name == name {
			return s
		}
	}
	return binarySize{Name: name}
}

// signedBytes formats a size difference in megabytes with a sign.
func signedBytes(n int64) string {
	if n < 0 {
		return "−" + megabytes(-n)
	}
	return "+" + megabytes(n)
}

func (r *results) sizeSection(b *md) {
	b.line("## 3. Size per function")
	b.line("")
	b.line("Built as deployed, for linux/arm64 (`GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags")
	b.line("lambda.norpc -trimpath -ldflags \"-s -w\"`); zipped is a zip archive of the single `bootstrap`,")
	b.line("Deflate, as it is uploaded. MB are 10^6 bytes. Budget: at most %s raw. The last columns say", megabytes(sizeBudget))
	b.line("which AWS SDK clients each binary links and whether it links text/template (see below).")
	b.line("")
	b.header("function", "raw", "zipped", "AWS clients linked", "text/template", "budget (≤ "+megabytes(sizeBudget)+" raw)")
	var over []binarySize
	for _, s := range r.sizes {
		if slices.Contains(r.functions, s.Name) {
			l := r.links[s.Name]
			b.row(s.Name, megabytes(s.Raw), megabytes(s.Zipped), strings.Join(l.Services, ", "), yesNo(l.Template), verdict(s.Raw <= sizeBudget))
			if s.Raw > sizeBudget {
				over = append(over, s)
			}
		}
	}
	for _, s := range r.sizes {
		if !slices.Contains(r.functions, s.Name) {
			l := r.links[s.Name]
			b.row(s.Name+" (reference)", megabytes(s.Raw), megabytes(s.Zipped), strings.Join(l.Services, ", "), yesNo(l.Template), "—")
		}
	}
	b.line("")
	if len(over) == 0 {
		return
	}
	largest := slices.MaxFunc(over, func(a, b binarySize) int { return int(a.Raw - b.Raw) })
	sdk := r.size(helloSDK)
	b.line("**%d of %d functions are over budget**, up to %s: %s over `hello-sdk`, a Lambda with the", len(over), len(r.functions), megabytes(largest.Raw), signedBytes(largest.Raw-sdk.Raw))
	b.line("DynamoDB client alone (%s).", megabytes(sdk.Raw))
	var extra []string
	template := false
	for _, s := range over {
		l := r.links[s.Name]
		template = template || l.Template
		for _, svc := range l.Services {
			if svc != "dynamodb" && !slices.Contains(extra, svc) {
				extra = append(extra, svc)
			}
		}
	}
	if template {
		tpl := r.size(helloTemplate)
		b.line("They link text/template (html/template is built on it). Its use of reflection (`Method`,")
		b.line("`MethodByName`) stops the Go linker from dropping the exported methods nobody calls: every")
		b.line("exported method of every reachable type stays in the binary, and the AWS SDK has thousands.")
		b.line("On the DynamoDB client alone that is %s (`hello-template` against `hello-sdk`); the more types", signedBytes(tpl.Raw-sdk.Raw))
		b.line("a binary links, the more it costs. Rendering text without text/template, or keeping the package")
		b.line("that uses it out of the functions that do not need it, gives that back.")
	}
	if len(extra) > 0 {
		plural := ""
		if len(extra) > 1 {
			plural = "s"
		}
		b.line("Besides DynamoDB they link the AWS client%s %s: a function that does not call a service should", plural, strings.Join(extra, ", "))
		b.line("not link its client.")
	}
	b.line("")
}

func (r *results) latencySection(b *md) {
	b.line("## 4. Request latency and CPU, in-process")
	b.line("")
	b.line("The same authorizer and handlers as the functions, called in-process against DynamoDB Local")
	b.line("and a real cognito-local ID token, one request at a time: %d requests of each after %d", r.opt.requests, r.opt.warmup)
	b.line("of warm-up, the two kinds alternating. *Authorizer* is `Authenticate` for an organization")
	b.line("route: JWT verification and the membership GetItem. *Case read* is `GET /cases/{caseId}`")
	b.line("through the local handler stack (authorizer middleware, then the route), as a member.")
	b.line("")
	b.line("*DynamoDB wait* is, per request, the time during which a DynamoDB call was in the SDK (the sum")
	b.line("of its waves, from pkg/roundtrip); *on the wire* is the part of it spent between sending a")
	b.line("request and receiving the answer, the rest being the SDK's own work (serializing, signing,")
	b.line("decoding). *Our overhead* is total − DynamoDB wait, per request: token verification, routing,")
	b.line("access rules, attribute marshalling, JSON. Its p99 is held to %s. *CPU per request* is the", ms(overheadBudget))
	b.line("process's user + system CPU time (getrusage) over the measured requests divided by their")
	b.line("number: it includes the DynamoDB client's marshalling and HTTP, the Go runtime's garbage")
	b.line("collection and its scheduler spinning while a request waits on the network, but not DynamoDB")
	b.line("Local, which runs in its own process.")
	b.line("")
	b.header("request", "total p50", "total p99", "DynamoDB wait p50", "DynamoDB wait p99", "on the wire p50",
		"our overhead p50", "our overhead p99", "budget (p99 ≤ "+ms(overheadBudget)+")", "CPU per request", "DynamoDB calls / waves")
	for _, m := range r.latency {
		name := m.name
		if strings.HasPrefix(name, "GET") {
			name = "case read `" + name + "`"
		}
		cpu := "n/a"
		if m.cpuOK {
			cpu = us(m.cpuPerRequest())
		}
		p99 := percentile(m.overhead, 99)
		b.row(name, ms(median(m.total)), ms(percentile(m.total, 99)), ms(median(m.wait)), ms(percentile(m.wait, 99)),
			ms(median(m.wire)), ms(median(m.overhead)), ms(p99), verdict(p99 <= overheadBudget), cpu,
			counts(m.callsMin, m.callsMax)+" / "+counts(m.wavesMin, m.wavesMax))
	}
	b.line("")
	if len(r.latency) > 0 {
		b.line("%d garbage collections ran during the measured requests.", r.latency[0].gcCycles)
		b.line("")
	}
	for _, m := range r.latency {
		if p99 := percentile(m.overhead, 99); p99 > overheadBudget {
			b.line("**%s is over the overhead budget at p99** (%s), while its overhead is %s at p50, %s at p90",
				m.name, ms(p99), ms(median(m.overhead)), ms(percentile(m.overhead, 90)))
			b.line("and %s at worst: the typical request is well within budget, the slowest 1%% are not. On this", ms(slices.Max(m.overhead)))
			b.line("machine the emulators (a JVM and two Node processes) share the %d cores with the benchmark, and", r.machine.Cores)
			b.line("any wait for a CPU, or for garbage collection, outside a DynamoDB call counts as our overhead here.")
			b.line("")
		}
	}
	memory := "template.yaml sets no memory size"
	if r.memoryMB > 0 {
		memory = fmt.Sprintf("template.yaml gives the functions %d MB", r.memoryMB)
	}
	b.line("Lambda gives a function CPU in proportion to its memory (one vCPU at 1,769 MB; %s).", memory)
	b.line("In AWS the CPU per request, more than the wall time measured here on %d whole cores, bounds", r.machine.Cores)
	b.line("how long our own work takes.")
	b.line("")
	b.line("Guests are not measured: a guest sees no case until sharing exists. The guest reads, the fact")
	b.line("lists and the share changes of the `make bench` issue come with the routes that implement them.")
	b.line("")
}

func (r *results) scaleSection(b *md) {
	b.line("## 5. Scale with the number of cases (partial until sharing exists)")
	b.line("")
	b.line("Organizations of %s cases (one client), seeded in %s: the first case through the store,", joinInts(r.scaleSizes()), r.seedTime.Round(100*time.Millisecond))
	b.line("the others as copies of its item written with BatchWriteItem. The member's case read and the")
	b.line("authorizer are measured as in §4, %d requests each, all sizes interleaved request by request.", r.opt.scaleRequests)
	b.line("Cost does not grow with the number of cases when the DynamoDB calls are the same at every size")
	b.line("and the medians stay within ×%.2f of the smallest organization's.", flatTolerance)
	b.line("")
	b.header("cases in the organization", "authorizer p50", "authorizer p99", "authorizer calls / waves",
		"case read p50", "case read p99", "case read overhead p99", "case read CPU per request", "case read calls / waves")
	for _, s := range r.scale {
		cpu := "n/a"
		if s.read.cpuOK {
			cpu = us(s.read.cpuPerRequest())
		}
		b.row(thousands(s.cases), ms(median(s.authorizer.total)), ms(percentile(s.authorizer.total, 99)),
			counts(s.authorizer.callsMin, s.authorizer.callsMax)+" / "+counts(s.authorizer.wavesMin, s.authorizer.wavesMax),
			ms(median(s.read.total)), ms(percentile(s.read.total, 99)), ms(percentile(s.read.overhead, 99)), cpu,
			counts(s.read.callsMin, s.read.callsMax)+" / "+counts(s.read.wavesMin, s.read.wavesMax))
	}
	b.line("")
	_, why := r.scaleFlat()
	b.line("%s.", strings.ToUpper(why[:1])+why[1:])
	b.line("")
	b.line("The authorizer reads one membership by its key and a case is read by its key, so neither")
	b.line("touches the organization's other cases. What sharing adds (a guest's reads, the lists of what a")
	b.line("guest can see) is to be measured here the same way once it exists.")
}

// scaleSizes lists the sizes measured.
func (r *results) scaleSizes() []int {
	var out []int
	for _, s := range r.scale {
		out = append(out, s.cases)
	}
	return out
}

// joinInts writes 1, 100 and 10,000.
func joinInts(ns []int) string {
	var parts []string
	for _, n := range ns {
		parts = append(parts, thousands(n))
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
