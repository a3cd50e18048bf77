package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/casescribe/sharing/pkg/roundtrip"
	"github.com/casescribe/sharing/pkg/store"
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

	// functionEnv is the configuration each function was started with in §2; envStandIns are
	// the variables of template.yaml that only a deployment knows, stood in for.
	functionEnv map[string]map[string]string
	envStandIns []string

	latency []*measurement
	// latencyGuestCases is how many cases the guest of the latency measurement lists.
	latencyGuestCases int
	// latencyView is the case whose facts the view guest lists in §4.
	latencyView viewCase
	scale       []scaleRow
	// scaleViews is the view guest's fact list against the organization's cases (a case of
	// viewFacts facts in every scale organization), factViews against the case's facts (cases
	// of factSizes facts in one organization).
	scaleViews, factViews   []factListRow
	seedTime, factsSeedTime time.Duration
	// loadBefore and loadAfter are the machine's load average when the in-process
	// measurements began and ended ("" where unknown).
	loadBefore, loadAfter string
}

// scaleRow is one organization size of the scale measurement.
type scaleRow struct {
	cases, clients   int
	authorizer, read *measurement
	guests           []guestScale
}

// factListRow is the view guest's fact list of one view case.
type factListRow struct {
	viewCase
	list *measurement
	// member is the member's list of the same case, every fact (factViews only).
	member *measurement
}

// guestScale is one guest of one organization size: their case read and list.
type guestScale struct {
	shares, listed int
	read, list     *measurement
}

// label names a measurement in a table: what it is and the route it calls.
func (m *measurement) label() string {
	if m.route == "" {
		return m.name
	}
	return m.name + " `" + m.route + "`"
}

// callsWaves formats the DynamoDB calls and the typical waves per request, and how often a
// request counted more waves: "3 / 2", "4 / 3 (4 in 1.3%)".
func (m *measurement) callsWaves() string {
	out := counts(m.callsMin, m.callsMax) + " / " + fmt.Sprint(m.typicalWaves())
	if f := m.moreWaves(); f > 0 {
		out += fmt.Sprintf(" (%s in %.1f%%)", counts(m.typicalWaves()+1, m.wavesMax), 100*f)
	}
	return out
}

// cpuCell formats the CPU per request, or n/a.
func (m *measurement) cpuCell() string {
	if !m.cpuOK {
		return "n/a"
	}
	return us(m.cpuPerRequest())
}

// callsWavesItems formats the DynamoDB calls, waves and items read per request: "3 / 2 / 3".
func (m *measurement) callsWavesItems() string {
	return m.callsWaves() + " / " + counts(m.itemsMin, m.itemsMax)
}

// busy is whether the load average when the in-process measurements began or ended was above
// the number of cores: more work than the benchmark's own was running.
func (r *results) busy() bool {
	for _, l := range []string{r.loadBefore, r.loadAfter} {
		if v, err := strconv.ParseFloat(l, 64); err == nil && v > float64(r.machine.Cores) {
			return true
		}
	}
	return false
}

// sameCalls is whether two measurements saw the same DynamoDB calls, waves and items read per
// request.
func sameCalls(a, b *measurement) bool {
	return sameWaves(a, b) && a.itemsMin == b.itemsMin && a.itemsMax == b.itemsMax
}

// sameWaves is whether two measurements saw the same DynamoDB calls per request and the same
// typical number of waves (see typicalWaves).
func sameWaves(a, b *measurement) bool {
	return a.callsMin == b.callsMin && a.callsMax == b.callsMax && a.typicalWaves() == b.typicalWaves()
}

// opsGrowth lists, for every DynamoDB operation of two measurements of the same request, its
// median call time in a and in b, the one that changed most first: "Query 0.92 → 3.65 ms".
func opsGrowth(a, b *measurement) string {
	var ops []string
	for op := range a.ops {
		if _, ok := b.ops[op]; ok {
			ops = append(ops, op)
		}
	}
	change := func(op string) time.Duration { return (median(b.ops[op]) - median(a.ops[op])).Abs() }
	slices.SortFunc(ops, func(x, y string) int {
		if c := cmp.Compare(change(y), change(x)); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	var parts []string
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %.2f → %s", op, float64(median(a.ops[op]))/float64(time.Millisecond), ms(median(b.ops[op]))))
	}
	return strings.Join(parts, ", ")
}

// ratio is the median of a over the median of b.
func ratio(a, b *measurement) float64 {
	return float64(median(a.total)) / float64(median(b.total))
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
	if r.loadBefore != "" && r.loadAfter != "" {
		b.line("Load average (1 minute) when the in-process measurements (§4, §5) began: %s; when they ended: %s.", r.loadBefore, r.loadAfter)
		b.line("The benchmark and its emulators account for up to about %d of it (one request at a time: this", r.machine.Cores)
		b.line("process and DynamoDB Local take turns); more than that is other work on the machine, and noise.")
		b.line("")
	}
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
		for _, kind := range r.roundTripBudgets() {
			var met, measured int
			var missed, unmeasured []string
			for _, row := range r.roundTrips.rows {
				if !kind.match(row) {
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
			if kind.note != nil {
				result += kind.note()
			}
			b.row(kind.name, kind.limit, result)
		}
	}

	// Cold start.
	ref, _ := r.coldStart(hello)
	var met int
	var missed []string
	routes := r.routeFunctions()
	slowest, worst := "", time.Duration(0)
	for _, f := range routes {
		c, _ := r.coldStart(f)
		if over := c.Median - ref.Median; slowest == "" || over > worst {
			slowest, worst = f, over
		}
		if c.Median-ref.Median <= initBudget {
			met++
		} else {
			missed = append(missed, f)
		}
	}
	result := fmt.Sprintf("%s: %d of %d route functions", verdict(met == len(routes)), met, len(routes))
	if len(missed) > 0 {
		result += fmt.Sprintf(" (not met: %s; over the budget by up to %s)", strings.Join(missed, ", "), ms(worst-initBudget))
	} else if slowest != "" {
		result += fmt.Sprintf(" (slowest: %s, %s)", slowest, signedMS(worst))
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
	var largest int64
	for _, s := range r.sizes {
		if !slices.Contains(r.functions, s.Name) {
			continue
		}
		if s.Raw <= sizeBudget {
			met++
		} else {
			missed = append(missed, s.Name)
			largest = max(largest, s.Raw)
		}
	}
	result = fmt.Sprintf("%s: %d of %d functions", verdict(met == len(r.functions)), met, len(r.functions))
	switch {
	case met == 0:
		result += fmt.Sprintf(" (over by up to %s; see §3)", megabytes(largest-sizeBudget))
	case len(missed) > 0:
		result += fmt.Sprintf(" (not met: %s, over by up to %s; see §3)", strings.Join(missed, ", "), megabytes(largest-sizeBudget))
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
	why := ""
	if perFact, ok := r.overheadPerFact(); ok && !allMet {
		why = fmt.Sprintf("; the fact list's overhead grows with the case's facts, about %s per fact read", us(perFact))
	}
	b.row("Our overhead per request (total − DynamoDB wait)", "p99 at most "+ms(overheadBudget), verdict(allMet)+": "+strings.Join(parts, "; ")+why+" (see §4)")

	// Scale.
	flat, why := r.scaleFlat()
	b.row("Scale with the number of cases: authorizer, member's case read", "no growth", verdict(flat)+": "+why)
	flat, same, why := r.guestJudgement()
	if _, inQuery := r.guestGrowth(r.guestSeries()); !flat && same && inQuery {
		why += "; the growth is DynamoDB Local's time answering the Query of the guest's grants, which reads the same items at every size"
	}
	b.row("Scale of a guest's case read and list with what the guest cannot see", "no growth at a fixed number of shares", verdict(flat)+": "+why+" (see §5)")
	if flat, why, ok := r.viewOrgFlat(); ok {
		b.row("Scale of a guest's fact list under a saved view with the organization's cases", "no growth", verdict(flat)+": "+why+" (see §5)")
	}
	if grows, why, ok := r.viewFactsGrowth(); ok {
		result := "flat: " + why
		if grows {
			result = "**grows with the facts outside the view**: " + why
		}
		b.row("Scale of a guest's fact list under a saved view with the case's facts outside the view",
			"no budget in the issue; its rule (no growth with what the guest cannot see) read for facts", result+" (see §5)")
	}
	b.line("")
}

// overheadPerFact is how much the median overhead of the view guest's fact list grows per
// fact of the case, from the fewest facts measured to the most.
func (r *results) overheadPerFact() (time.Duration, bool) {
	if len(r.factViews) < 2 {
		return 0, false
	}
	first, last := r.factViews[0], r.factViews[len(r.factViews)-1]
	if last.facts <= first.facts {
		return 0, false
	}
	d := (median(last.list.overhead) - median(first.list.overhead)) / time.Duration(last.facts-first.facts)
	return d, d > 0
}

// viewOrgFlat judges the view guest's fact list against the organization's cases: the same
// DynamoDB calls, waves and items read at every organization size, and the median at the
// largest within flatTolerance of the smallest. ok is false when fewer than two sizes ran.
func (r *results) viewOrgFlat() (flat bool, why string, ok bool) {
	if len(r.scaleViews) < 2 {
		return false, "", false
	}
	first, last := r.scaleViews[0], r.scaleViews[len(r.scaleViews)-1]
	same := true
	for _, v := range r.scaleViews {
		same = same && sameCalls(v.list, first.list)
	}
	ratio := ratio(last.list, first.list)
	why = fmt.Sprintf("%s facts in the case, %s in the view; same DynamoDB calls, waves and items read at every size: %s; median at %s cases / at %s: ×%.2f",
		thousands(first.facts), thousands(first.inView), yesNo(same), thousands(last.orgCases), thousands(first.orgCases), ratio)
	return same && ratio <= flatTolerance, why, true
}

// memberReadsAsMuch is whether, for every case of factViews, the member's fact list read as
// many items as the view guest's, give or take the guest's grant and share (two items).
func (r *results) memberReadsAsMuch() bool {
	for _, v := range r.factViews {
		if v.member == nil || v.member.itemsMax < v.list.itemsMax-2 || v.member.itemsMax > v.list.itemsMax+2 {
			return false
		}
	}
	return len(r.factViews) > 0
}

// viewFactsGrowth says how the view guest's fact list grows with the case's facts, the view
// always selecting a quarter of them: grows is whether the items read grow with them.
func (r *results) viewFactsGrowth() (grows bool, why string, ok bool) {
	if len(r.factViews) < 2 {
		return false, "", false
	}
	first, last := r.factViews[0], r.factViews[len(r.factViews)-1]
	var medians []string
	for _, v := range r.factViews {
		medians = append(medians, fmt.Sprintf("%s with %s (%s outside the view)", ms(median(v.list.total)), plural(v.facts, "fact"), thousands(v.facts-v.inView)))
	}
	grows = last.list.itemsMax > first.list.itemsMax
	why = fmt.Sprintf("median %s, ×%.2f from the fewest facts to the most; items read %s → %s",
		strings.Join(medians, ", "), ratio(last.list, first.list), counts(first.list.itemsMin, first.list.itemsMax), counts(last.list.itemsMin, last.list.itemsMax))
	if grows {
		why += ": DynamoDB reads every fact of the case; the view's tags, key flag and dates filter them in DynamoDB before they are sent, and the view is applied again in memory"
		if r.memberReadsAsMuch() {
			why += ", as the member's list of the whole case does"
		}
	}
	return grows, why, true
}

// oneWrite is the round-trip test's budget of a change.
const oneWrite = "exactly one write"

// roundTripBudget is one row of the round-trip budgets: the test's rows it covers.
type roundTripBudget struct {
	name, limit string
	match       func(roundTripRow) bool
	// note, if set, adds to the result.
	note func() string
}

// roundTripBudgets are the rows of the budgets table for the round-trip test: the authorizer,
// reads (guest reads under a saved view included), changes held to one write, and one row for
// every change the test holds to a budget of its own (deleting a case: one transaction, then
// purge batches), with how many write calls it made against the one.
func (r *results) roundTripBudgets() []roundTripBudget {
	out := []roundTripBudget{
		{name: "DynamoDB round trips: authorizer", limit: "exactly one GetItem",
			match: func(row roundTripRow) bool { return row.Kind == "authorizer" }},
		{name: "DynamoDB round trips: reads (one item, lists; member, guest, guest limited to a saved view)", limit: "at most 2 sequential waves",
			match: func(row roundTripRow) bool {
				return slices.Contains([]string{"read one", "list", "read", "guest read"}, row.Kind)
			}},
		{name: "DynamoDB round trips: changes", limit: "exactly one write (a transaction counts one)",
			match: func(row roundTripRow) bool { return row.Kind == "change" && row.Budget == oneWrite }},
	}
	var own []string
	for _, row := range r.roundTrips.rows {
		if row.Kind == "change" && row.Budget != oneWrite && !slices.Contains(own, row.Budget) {
			own = append(own, row.Budget)
		}
	}
	for _, budget := range own {
		var rows []roundTripRow
		for _, row := range r.roundTrips.rows {
			if row.Kind == "change" && row.Budget == budget {
				rows = append(rows, row)
			}
		}
		var routes, writes []string
		for _, row := range rows {
			routes = append(routes, "`"+row.Route+"`")
			writes = append(writes, fmt.Sprintf("%s made %s (%s)", row.ID, plural(row.Writes, "write call"), writeCalls(row.Operations)))
		}
		out = append(out, roundTripBudget{name: "DynamoDB round trips: " + strings.Join(routes, ", "), limit: budget,
			match: func(row roundTripRow) bool { return row.Kind == "change" && row.Budget == budget },
			note: func() string {
				return "; against the issue's one write call per mutation: " + strings.Join(writes, "; ") + ", see §1"
			}})
	}
	return out
}

// writeCalls counts the write operations among ops: "1 TransactWriteItems + 1 BatchWriteItem".
func writeCalls(ops []string) string {
	var names []string
	n := map[string]int{}
	for _, op := range ops {
		if roundtrip.IsWrite(op) {
			if n[op] == 0 {
				names = append(names, op)
			}
			n[op]++
		}
	}
	var parts []string
	for _, op := range names {
		parts = append(parts, fmt.Sprintf("%d %s", n[op], op))
	}
	return strings.Join(parts, " + ")
}

// scaleFlat judges the scale measurement: the same DynamoDB calls and waves at every size,
// and medians at the largest size within flatTolerance of the smallest.
func (r *results) scaleFlat() (bool, string) {
	if len(r.scale) < 2 {
		return false, "fewer than two sizes measured"
	}
	first, last := r.scale[0], r.scale[len(r.scale)-1]
	same := true
	for _, s := range r.scale {
		same = same && sameCalls(s.authorizer, first.authorizer) && sameCalls(s.read, first.read)
	}
	ra, rr := ratio(last.authorizer, first.authorizer), ratio(last.read, first.read)
	why := fmt.Sprintf("same DynamoDB calls, waves and items read at every size: %s; median at %s cases / at %s: authorizer ×%.2f, case read ×%.2f",
		yesNo(same), thousands(last.cases), thousands(first.cases), ra, rr)
	return same && ra <= flatTolerance && rr <= flatTolerance, why
}

// guestSeries is one number of shares across the organization sizes where a guest held that
// many: cases[i] is the size of rows[i].
type guestSeries struct {
	shares int
	cases  []int
	rows   []guestScale
}

// guestSeries groups the scale guests by the number of shares they hold, fewest first, each
// from the smallest organization to the largest.
func (r *results) guestSeries() []guestSeries {
	var out []guestSeries
	for _, s := range r.scale {
		for _, g := range s.guests {
			i := slices.IndexFunc(out, func(gs guestSeries) bool { return gs.shares == g.shares })
			if i < 0 {
				out = append(out, guestSeries{shares: g.shares})
				i = len(out) - 1
			}
			out[i].cases = append(out[i].cases, s.cases)
			out[i].rows = append(out[i].rows, g)
		}
	}
	slices.SortFunc(out, func(a, b guestSeries) int { return a.shares - b.shares })
	return out
}

// guestFlat judges the guests' reads: at every number of shares, the same DynamoDB calls and
// waves at every organization size, and medians at the largest size within flatTolerance of
// the smallest that holds that many shares.
func (r *results) guestFlat() (flat bool, why string) {
	flat, _, why = r.guestJudgement()
	return flat, why
}

// guestJudgement is guestFlat, and whether the calls, waves and items read were the same.
func (r *results) guestJudgement() (flat, same bool, why string) {
	same, flat = true, true
	compared := 0
	var parts []string
	for _, gs := range r.guestSeries() {
		if len(gs.rows) < 2 {
			continue
		}
		compared++
		first, last := gs.rows[0], gs.rows[len(gs.rows)-1]
		for _, g := range gs.rows {
			same = same && sameCalls(g.read, first.read) && sameCalls(g.list, first.list)
		}
		rr, rl := ratio(last.read, first.read), ratio(last.list, first.list)
		flat = flat && rr <= flatTolerance && rl <= flatTolerance
		parts = append(parts, fmt.Sprintf("%s, %s cases / %s: case read ×%.2f, list ×%.2f",
			plural(gs.shares, "share"), thousands(gs.cases[len(gs.cases)-1]), thousands(gs.cases[0]), rr, rl))
	}
	if compared == 0 {
		return false, false, "no number of shares was measured in two organization sizes"
	}
	why = fmt.Sprintf("same DynamoDB calls, waves and items read at every size, at each number of shares: %s; median at the largest organization / at the smallest holding as many shares: %s",
		yesNo(same), strings.Join(parts, "; "))
	return same && flat, same, why
}

// plural writes "1 share", "10 shares".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
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
	b.line("without cases; one case holds a document, a fact with a comment, a saved view, a summary and a")
	b.line("chat), against DynamoDB Local, and records every DynamoDB call with client middleware")
	b.line("(pkg/roundtrip). Calls whose time intervals overlap form one wave; waves are what a request")
	b.line("waits for one after the other. The authorizer's calls go through their own client and are")
	b.line("counted apart: one GetItem for every organization route, none otherwise. A route without a")
	b.line("fixture in the test fails it. The rows of kind *guest read* are the routes a guest can read,")
	b.line("called by a guest (with a cognito-local ID token) holding a client share and a case share")
	b.line("limited to the case's saved view, with its chat shared; the rows marked *(guest, view)* read")
	b.line("the case's content through that view. They are held to the same budget of two waves, the")
	b.line("access check included. `make bench` runs the same test and reports what it measured.")
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
		} else if _, how, ok := strings.Cut(row.ID, " ("); ok {
			route += " *(" + how + "*"
		}
		b.row(route, row.Kind, status, fmt.Sprint(row.Calls), fmt.Sprint(row.Writes), fmt.Sprint(row.Waves),
			strings.Join(row.Operations, ", "), row.Budget, result)
	}
	b.line("")
	r.ownBudgets(b)
	var overByWaves []string
	for _, row := range r.roundTrips.rows {
		if !row.Met && row.Problem == "" && row.Writes == 0 && row.Kind != "authorizer" {
			label := "`" + row.Route + "`"
			if _, how, ok := strings.Cut(row.ID, " ("); ok {
				label += " (" + how
			}
			overByWaves = append(overByWaves, label)
		}
	}
	if len(overByWaves) > 0 {
		b.line("**Over the budget of two waves:** %s. Waves are counted from the times of the calls of", strings.Join(overByWaves, ", "))
		b.line("one request per route: two calls a route makes at once form one wave only if their times")
		b.line("overlap, and on a busy machine (see Machine) one sometimes starts after the other has ended,")
		b.line("which counts a wave more (§4 shows how often, over repeated requests). A read over by one")
		b.line("wave on a loaded machine may be that rather than the route's own sequence of calls; this")
		b.line("run cannot tell the two apart.")
		b.line("")
	}
	if !r.roundTrips.passed {
		b.line("The test failed:")
		b.line("")
		b.line("```")
		b.line("%s", r.roundTrips.output)
		b.line("```")
		b.line("")
	}
}

// ownBudgets explains the changes the round-trip test holds to a budget of their own rather
// than one write: deleting a case.
func (r *results) ownBudgets(b *md) {
	for _, row := range r.roundTrips.rows {
		if row.Kind != "change" || row.Budget == oneWrite || row.Problem != "" {
			continue
		}
		b.line("**`%s`** is held to a budget of its own, *%s*, and the issue's budget of one write call", row.Route, row.Budget)
		b.line("per mutation is not met: it made %s, %s. The one transaction", plural(row.Writes, "write call"), writeCalls(row.Operations))
		b.line("deletes the case and its shares, and updates the guests' grants and the counters: from then on")
		b.line("nothing reaches the case's content.")
		b.line("That content (facts, views, comments, documents, summary, chats, and the organization's")
		b.line("reference item of each fact, view, document and chat) is then purged with BatchWriteItem, 25")
		b.line("items a call, as many calls as the content needs, one after the other: this seed's case takes")
		b.line("%s; a case of 2,000 facts would take some 160. A single transaction holds", plural(strings.Count(strings.Join(row.Operations, ","), "BatchWriteItem"), "batch"))
		b.line("at most 100 items, so a case whose content and shares came to more could not be deleted in")
		b.line("one; the purge is idempotent, and a purge cut short leaves only unreachable items behind.")
		b.line("")
	}
}

func (r *results) coldStartSection(b *md) {
	ref, _ := r.coldStart(hello)
	b.line("## 2. Cold start per function")
	b.line("")
	b.line("Each function is built as deployed (`CGO_ENABLED=0 go build -tags lambda.norpc -trimpath")
	b.line("-ldflags \"-s -w\"`) but for this machine (%s), and its `bootstrap` is started under a Lambda", r.machine.OSArch)
	b.line("Runtime API stub with the environment Lambda gives it and the configuration of template.yaml,")
	b.line("the Globals and the function's own variables (parameters at their defaults), pointing at the")
	b.line("emulators: so a function that sends mail builds its SES client, one that asks the AI its")
	b.line("Bedrock client (`AI_PROVIDER=bedrock`; nothing is sent at init) and one that keeps document")
	b.line("files its file store, as deployed.")
	if len(r.envStandIns) > 0 {
		b.line("Variables that only a deployment knows were given stand-ins: %s.", strings.Join(r.envStandIns, ", "))
	}
	b.line("Init is the time from just before the exec to the function's first")
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
	r.coldStartGroups(b, ref)
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

// functionGroup is a set of route functions that build the same extra clients at init.
type functionGroup struct {
	// what the functions do, how it shows in their build or configuration.
	what, how string
	functions []string
}

// functionGroups sorts the route functions by what they build at init beyond the DynamoDB
// client: the document file store, the Bedrock client, the SES mailer, or nothing more.
func (r *results) functionGroups() []functionGroup {
	groups := []functionGroup{
		{what: "keep document files", how: "link pkg/s3files, use `DOCUMENTS_BUCKET`"},
		{what: "ask the AI", how: "link bedrockruntime, `AI_PROVIDER=bedrock`"},
		{what: "send mail", how: "SES client, `MAIL_FROM`"},
		{what: "build nothing more"},
	}
	for _, f := range r.routeFunctions() {
		l, env := r.links[f], r.functionEnv[f]
		i := 3
		switch {
		case l.Files:
			i = 0
		case slices.Contains(l.Services, "bedrockruntime"):
			i = 1
		case env["MAIL_FROM"] != "":
			i = 2
		}
		groups[i].functions = append(groups[i].functions, f)
	}
	return slices.DeleteFunc(groups, func(g functionGroup) bool { return len(g.functions) == 0 })
}

// coldStartGroups sums the cold starts and sizes up by functionGroups.
func (r *results) coldStartGroups(b *md, ref coldStartRow) {
	b.line("By what a function builds at init besides its DynamoDB client (the middle function's median,")
	b.line("the slowest function's median, and the largest binary of the group):")
	b.line("")
	b.header("functions that", "how many", "median over hello-world (middle)", "slowest median over hello-world", "largest raw (linux/arm64)", "budgets")
	for _, g := range r.functionGroups() {
		var overs []time.Duration
		slowest, largest := g.functions[0], g.functions[0]
		for _, f := range g.functions {
			c, _ := r.coldStart(f)
			overs = append(overs, c.Median-ref.Median)
			if s, _ := r.coldStart(slowest); c.Median > s.Median {
				slowest = f
			}
			if r.size(f).Raw > r.size(largest).Raw {
				largest = f
			}
		}
		s, _ := r.coldStart(slowest)
		size := r.size(largest).Raw
		name := g.what
		if g.how != "" {
			name += " (" + g.how + ")"
		}
		b.row(name, fmt.Sprint(len(g.functions)), signedMS(median(overs)), signedMS(s.Median-ref.Median)+" ("+slowest+")",
			megabytes(size)+" ("+largest+")",
			"init "+verdict(s.Median-ref.Median <= initBudget)+", size "+verdict(size <= sizeBudget))
	}
	b.line("")
	for _, g := range r.functionGroups() {
		if g.how != "" {
			b.line("- Functions that %s: %s.", g.what, strings.Join(g.functions, ", "))
		}
	}
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
	b.line("which AWS SDK clients each binary links, whether it links the document file store")
	b.line("(pkg/s3files: S3 requests signed with the SDK's SigV4 signer, without the SDK's S3 client) and")
	b.line("whether it links text/template (see below).")
	b.line("")
	b.header("function", "raw", "zipped", "AWS clients linked", "file store (pkg/s3files)", "text/template", "budget (≤ "+megabytes(sizeBudget)+" raw)")
	var over, within []binarySize
	for _, s := range r.sizes {
		if slices.Contains(r.functions, s.Name) {
			l := r.links[s.Name]
			b.row(s.Name, megabytes(s.Raw), megabytes(s.Zipped), strings.Join(l.Services, ", "), yesNo(l.Files), yesNo(l.Template), verdict(s.Raw <= sizeBudget))
			if s.Raw > sizeBudget {
				over = append(over, s)
			} else {
				within = append(within, s)
			}
		}
	}
	for _, s := range r.sizes {
		if !slices.Contains(r.functions, s.Name) {
			l := r.links[s.Name]
			b.row(s.Name+" (reference)", megabytes(s.Raw), megabytes(s.Zipped), strings.Join(l.Services, ", "), yesNo(l.Files), yesNo(l.Template), "—")
		}
	}
	b.line("")
	if len(over) == 0 {
		return
	}
	bySize := func(a, b binarySize) int { return int(a.Raw - b.Raw) }
	largest := slices.MaxFunc(over, bySize)
	var names []string
	for _, s := range over {
		names = append(names, s.Name)
	}
	sdk := r.size(helloSDK)
	b.line("**%d of %d functions are over budget** (%s), by up to %s: %s raw against %s.", len(over), len(r.functions),
		strings.Join(names, ", "), megabytes(largest.Raw-sizeBudget), megabytes(largest.Raw), megabytes(sizeBudget))
	b.line("That is %s over `hello-sdk`, a Lambda with the DynamoDB client alone (%s).", signedBytes(largest.Raw-sdk.Raw), megabytes(sdk.Raw))
	// extra are the clients the functions over budget link and none within it does.
	var extra []string
	template := false
	for _, s := range over {
		l := r.links[s.Name]
		template = template || l.Template
		for _, svc := range l.Services {
			if slices.Contains(extra, svc) || slices.ContainsFunc(within, func(w binarySize) bool { return slices.Contains(r.links[w.Name].Services, svc) }) {
				continue
			}
			extra = append(extra, svc)
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
	if len(extra) > 0 && len(within) > 0 {
		plural := ""
		if len(extra) > 1 {
			plural = "s"
		}
		biggest := slices.MaxFunc(within, bySize)
		b.line("They link the AWS SDK client%s %s, which no function within budget links; the largest function", plural, strings.Join(extra, ", "))
		b.line("without it, %s, is %s, so the client and what it brings weigh about %s.", biggest.Name, megabytes(biggest.Raw), signedBytes(largest.Raw-biggest.Raw))
		b.line("A function that calls a service needs a way to call it, but not necessarily the SDK's")
		b.line("client: pkg/s3files keeps the S3 client out of the functions that keep document files by")
		b.line("signing its few requests with the SDK's SigV4 signer, which the functions link already.")
	}
	b.line("")
}

func (r *results) latencySection(b *md) {
	b.line("## 4. Request latency and CPU, in-process")
	b.line("")
	b.line("The same authorizer and handlers as the functions, called in-process against DynamoDB Local")
	b.line("and real cognito-local ID tokens, one request at a time: %d requests of each after %d", r.opt.requests, r.opt.warmup)
	b.line("of warm-up, the %d kinds interleaved (each round starts one kind further along). *Authorizer* is", len(r.latency))
	b.line("`Authenticate` for an organization route: JWT verification and the membership GetItem. The")
	b.line("others go through the local handler stack (authorizer middleware, then the route), in an")
	b.line("organization of three clients, Smith (3 cases), Doe (2 cases) and Roe (1 case with %s facts):", thousands(r.latencyView.facts))
	b.line("")
	b.line("- *member case read*: `GET /cases/{caseId}` as a member;")
	b.line("- *guest case read*: the same case read by a guest, with the guest's own ID token, who holds a")
	b.line("  share of that case: the route also reads the guest's grant for the case's client, in the same")
	b.line("  wave as the client;")
	b.line("- *guest list*: `GET /cases` by that guest, who also holds a client share of Doe: what the guest")
	b.line("  can see, %d cases (checked before measuring, as is a 404 for a case of Smith not shared);", r.latencyGuestCases)
	b.line("- *guest fact list under a view*: `GET /cases/{caseId}/facts`, without parameters, by another")
	b.line("  guest whose one share is a case share of Roe's case limited to a saved view. The case's %s", thousands(r.latencyView.facts))
	b.line("  facts were made through the store, each tagged one of %s in turn; the view", strings.Join(factTags, ", "))
	b.line("  selects those tagged %s, %s of them, and the first page lists %s (checked before", factTags[0], thousands(r.latencyView.inView), thousands(r.latencyView.listed))
	b.line("  measuring, as are the member's list of all %s and a 404 for Smith's case). The route reads", thousands(r.latencyView.facts))
	b.line("  the case, the guest's grants and views, then the facts the view can select (DynamoDB reads")
	b.line("  every fact of the case and filters them before sending), and applies the view again in")
	b.line("  memory: decoding what DynamoDB sends, the filter and JSON for the page are our overhead;")
	b.line("- *share change*: `PATCH /shares/{shareId}` as the admin on another guest's client share of")
	b.line("  Smith, alternately narrowing it to one of Smith's cases and expanding it back to the whole")
	b.line("  client, each time with the version the previous change left: the share is read, then the")
	b.line("  client, its cases and the target case (narrow) or the client's shares (expand) in one wave,")
	b.line("  then one transaction writes the share, the guest's grant and the counters.")
	b.line("")
	b.line("*DynamoDB wait* is, per request, the time during which a DynamoDB call was in the SDK (the sum")
	b.line("of its waves, from pkg/roundtrip); *on the wire* is the part of it spent between sending a")
	b.line("request and receiving the answer, the rest being the SDK's own work (serializing, signing,")
	b.line("decoding). *Our overhead* is total − DynamoDB wait, per request: token verification, routing,")
	b.line("access rules, planning a share change, attribute marshalling, JSON. Its p99 is held to %s.", ms(overheadBudget))
	b.line("*CPU per request* is the process's user + system CPU time (getrusage) over the measured requests")
	b.line("divided by their number: it includes the DynamoDB client's marshalling and HTTP, the Go runtime's")
	b.line("garbage collection and its scheduler spinning while a request waits on the network, but not")
	b.line("DynamoDB Local, which runs in its own process.")
	b.line("")
	b.header("request", "total p50", "total p99", "DynamoDB wait p50", "DynamoDB wait p99", "on the wire p50",
		"our overhead p50", "our overhead p99", "budget (p99 ≤ "+ms(overheadBudget)+")", "CPU per request", "DynamoDB calls / waves")
	for _, m := range r.latency {
		p99 := percentile(m.overhead, 99)
		b.row(m.label(), ms(median(m.total)), ms(percentile(m.total, 99)), ms(median(m.wait)), ms(percentile(m.wait, 99)),
			ms(median(m.wire)), ms(median(m.overhead)), ms(p99), verdict(p99 <= overheadBudget), m.cpuCell(), m.callsWaves())
	}
	b.line("")
	if len(r.latency) > 0 {
		b.line("%d garbage collections ran during the measured requests.", r.latency[0].gcCycles)
		b.line("")
	}
	var over []string
	p90Within := true
	for _, m := range r.latency {
		if p99 := percentile(m.overhead, 99); p99 > overheadBudget {
			over = append(over, fmt.Sprintf("%s (p99 %s; p50 %s, p90 %s, worst %s)", m.name, ms(p99),
				ms(median(m.overhead)), ms(percentile(m.overhead, 90)), ms(slices.Max(m.overhead))))
			p90Within = p90Within && percentile(m.overhead, 90) <= overheadBudget
		}
	}
	if len(over) > 0 {
		b.line("**Over the overhead budget at p99, %d of %d kinds of request:** %s.", len(over), len(r.latency), strings.Join(over, "; "))
		if p90Within {
			b.line("At p50 and p90 the overhead is within budget; it is the slowest 1%% of requests that is not.")
		}
		for _, m := range r.latency {
			if median(m.overhead) > overheadBudget {
				b.line("*%s* is over the budget at p50 too: every request, not the slowest 1%%.", capitalize(m.name))
			}
		}
		if perFact, ok := r.overheadPerFact(); ok {
			first, last := r.factViews[0], r.factViews[len(r.factViews)-1]
			b.line("The fact list's overhead grows with the facts of the case: DynamoDB sends the facts the view")
			b.line("can select (a quarter of them here), which the SDK and the route decode and match against the")
			b.line("view again, then the route pages and answers %d at most. In §5,", store.DefaultLimit)
			b.line("p50 %s with %s and %s with %s, about %s per fact, with CPU per request", ms(median(first.list.overhead)), plural(first.facts, "fact"),
				ms(median(last.list.overhead)), plural(last.facts, "fact"), us(perFact))
			b.line("%s → %s. From about %s facts in a case, that alone exceeds the budget, whatever the", first.list.cpuCell(), last.list.cpuCell(),
				thousands(int(overheadBudget/perFact)))
			b.line("machine's load.")
		}
		b.line("On this machine the emulators (a JVM and two Node processes) share the %d cores with the", r.machine.Cores)
		b.line("benchmark, and any wait for a CPU, or for garbage collection, outside a DynamoDB call counts as")
		b.line("our overhead here.")
		if r.busy() {
			b.line("The load average was %s to %s while the in-process measurements ran, more than the %d cores", r.loadBefore, r.loadAfter, r.machine.Cores)
			b.line("(see Machine): other work was sharing the machine, and the slowest requests reflect it.")
		}
		b.line("")
	}
	b.line("*DynamoDB calls / waves* shows the typical (median) number of waves; when some requests counted")
	b.line("more, how many and how often follows in brackets. Two calls a request makes at once form one wave")
	b.line("only if their times overlap: on a busy machine one sometimes starts after the other has ended.")
	b.line("")
	memory := "template.yaml sets no memory size"
	if r.memoryMB > 0 {
		memory = fmt.Sprintf("template.yaml gives the functions %d MB", r.memoryMB)
	}
	b.line("Lambda gives a function CPU in proportion to its memory (one vCPU at 1,769 MB; %s).", memory)
	b.line("In AWS the CPU per request, more than the wall time measured here on %d whole cores, bounds", r.machine.Cores)
	b.line("how long our own work takes.")
	b.line("")
}

func (r *results) scaleSection(b *md) {
	b.line("## 5. Scale with the number of cases")
	b.line("")
	var clients []int
	for _, s := range r.scale {
		clients = append(clients, s.clients)
	}
	b.line("Organizations of %s cases, seeded in %s. Each has as many clients as the most shares a", joinInts(r.scaleSizes()), r.seedTime.Round(100*time.Millisecond))
	b.line("guest holds in it (%s clients), each with one case made through the store; the other", joinInts(clients))
	b.line("cases are copies of the first case's item written with BatchWriteItem, spread evenly over the")
	b.line("clients. Guests with their own logins hold %s case shares, one case in each of as many", joinInts(r.opt.shares))
	b.line("clients, made through the store (`store.CreateShare`: the share, the guest's grant and the")
	b.line("counters in one transaction). A guest holds shares only where the organization has at least")
	b.line("as many cases, and each was checked to list exactly the cases shared with them before measuring.")
	if len(r.scaleViews) > 0 {
		b.line("The first case of each organization also holds %s facts and a saved view, shared with one more", thousands(r.scaleViews[0].facts))
		b.line("guest limited to that view (see the end of this section); the facts' reference items are in the")
		b.line("organization's partition, as in use.")
	}
	b.line("The authorizer, the member's case read and, for every guest, the guest's case read (of a case")
	b.line("shared with them) and list (`GET /cases`) are measured as in §4, %d requests each, all sizes", r.opt.scaleRequests)
	b.line("and guests interleaved request by request. Cost does not grow with a size when the DynamoDB")
	b.line("calls, waves and items read (see below) are the same at every size and the medians stay within")
	b.line("×%.2f of the smallest size's.", flatTolerance)
	b.line("")
	b.line("**The member and the authorizer** against the number of cases in the organization:")
	b.line("")
	b.header("cases in the organization", "authorizer p50", "authorizer p99", "authorizer calls / waves / items read",
		"case read p50", "case read p99", "case read overhead p99", "case read CPU per request", "case read calls / waves / items read")
	for _, s := range r.scale {
		b.row(thousands(s.cases), ms(median(s.authorizer.total)), ms(percentile(s.authorizer.total, 99)), s.authorizer.callsWavesItems(),
			ms(median(s.read.total)), ms(percentile(s.read.total, 99)), ms(percentile(s.read.overhead, 99)), s.read.cpuCell(), s.read.callsWavesItems())
	}
	b.line("")
	_, why := r.scaleFlat()
	b.line("%s.", capitalize(why))
	b.line("")
	b.line("**Guests** against what they cannot see (the organization's size) and what is shared with them:")
	b.line("")
	b.header("shares held by the guest", "cases in the organization", "cases the guest cannot see", "cases listed",
		"case read p50", "case read p99", "case read overhead p99", "case read calls / waves / items read",
		"list p50", "list p99", "list overhead p50", "list overhead p99", "list CPU per request", "list calls / waves / items read")
	series := r.guestSeries()
	for _, gs := range series {
		for i, g := range gs.rows {
			b.row(thousands(gs.shares), thousands(gs.cases[i]), thousands(gs.cases[i]-gs.shares), thousands(g.listed),
				ms(median(g.read.total)), ms(percentile(g.read.total, 99)), ms(percentile(g.read.overhead, 99)), g.read.callsWavesItems(),
				ms(median(g.list.total)), ms(percentile(g.list.total, 99)), ms(median(g.list.overhead)), ms(percentile(g.list.overhead, 99)),
				g.list.cpuCell(), g.list.callsWavesItems())
		}
	}
	b.line("")
	b.line("Waves are shown as in §4. *Items read* are the items DynamoDB says each request read (the")
	b.line("ScannedCount of a Query, the items GetItem and BatchGetItem returned): a count, which noise")
	b.line("cannot move.")
	b.line("")
	_, why = r.guestFlat()
	b.line("What the guest cannot see, at a fixed number of shares: %s.", why)
	b.line("")
	r.guestTimeSpent(b, series)
	if line := r.sharedGrowth(series); line != "" {
		b.line("%s", line)
		b.line("")
	}
	b.line("The authorizer reads one membership by its key and a case is read by its key, so neither")
	b.line("touches the organization's other cases. A guest's case read adds one strongly consistent")
	b.line("GetItem of the guest's grant for the case's client, in the same wave as the client. A guest's")
	b.line("list reads the guest's grants (one Query under the guest's own key prefix), then the shared cases")
	b.line("and their clients by key (BatchGetItem, up to 100 keys a call), the two in one wave: nothing")
	b.line("that is not shared is read. The store reads more than 100 keys in batches one after the other,")
	b.line("so a guest holding shares in more than 100 cases or clients waits for more waves; that is not")
	b.line("measured here. A client share lists the client's cases with a Query of that client instead;")
	b.line("the guests of this section hold case shares only.")
	b.line("")
	r.factListSection(b)
}

// factListSection reports the view guest's fact list against the organization's cases and the
// case's facts.
func (r *results) factListSection(b *md) {
	if len(r.scaleViews) == 0 && len(r.factViews) == 0 {
		return
	}
	b.line("### A guest's fact list under a saved view")
	b.line("")
	b.line("`GET /cases/{caseId}/facts`, without parameters, by a guest (with a login) whose case share is")
	b.line("limited to a saved view of the case (`store.CreateShare` with the view's id). Every case here has")
	b.line("facts made through the store (`store.CreateFact`), each tagged one of %s in turn", strings.Join(factTags, ", "))
	b.line("(every other one also \"reviewed\", every tenth a key fact), and a saved view (`store.CreateView`)")
	b.line("selecting those tagged %s: a quarter of them. The route answers the first page of the view's", factTags[0])
	b.line("facts, at most %d. Each list was checked before measuring to select exactly the view's facts", store.DefaultLimit)
	b.line("for the guest and every fact for a member. The facts and views took %s to seed.", r.factsSeedTime.Round(100*time.Millisecond))
	b.line("Measured as above, interleaved with the rest of this section, %d requests each.", r.opt.scaleRequests)
	b.line("")
	if len(r.scaleViews) > 0 {
		b.line("**Against the organization's cases**: the first case of each organization above holds %s facts.", thousands(r.scaleViews[0].facts))
		b.line("")
		b.header("cases in the organization", "facts in the case", "facts in the view", "facts listed", "p50", "p99",
			"overhead p50", "overhead p99", "CPU per request", "calls / waves / items read")
		for _, v := range r.scaleViews {
			b.row(thousands(v.orgCases), thousands(v.facts), thousands(v.inView), thousands(v.listed), ms(median(v.list.total)),
				ms(percentile(v.list.total, 99)), ms(median(v.list.overhead)), ms(percentile(v.list.overhead, 99)), v.list.cpuCell(), v.list.callsWavesItems())
		}
		b.line("")
		if _, why, ok := r.viewOrgFlat(); ok {
			b.line("%s.", capitalize(why))
			b.line("")
		}
	}
	if len(r.factViews) > 0 {
		b.line("**Against the case's facts**: one organization (%s cases, one client) with a case of each size,", thousands(r.factViews[0].orgCases))
		b.line("and beside the guest's list the member's list of the same case (every fact, first page):")
		b.line("")
		b.header("facts in the case", "in the view (the guest sees)", "outside the view", "facts listed", "guest p50", "guest p99",
			"guest overhead p50", "guest overhead p99", "guest CPU per request", "guest calls / waves / items read", "member p50", "member calls / waves / items read")
		for _, v := range r.factViews {
			member, memberCalls := "—", "—"
			if v.member != nil {
				member, memberCalls = ms(median(v.member.total)), v.member.callsWavesItems()
			}
			b.row(thousands(v.facts), thousands(v.inView), thousands(v.facts-v.inView), thousands(v.listed), ms(median(v.list.total)),
				ms(percentile(v.list.total, 99)), ms(median(v.list.overhead)), ms(percentile(v.list.overhead, 99)), v.list.cpuCell(),
				v.list.callsWavesItems(), member, memberCalls)
		}
		b.line("")
		if _, why, ok := r.viewFactsGrowth(); ok {
			b.line("%s.", capitalize(why))
			b.line("")
		}
	}
	b.line("The route reads the case, the guest's grants and the case's views, then the facts with a")
	b.line("strongly consistent Query of the case's own partition whose filter expression holds the view's")
	b.line("tags (through a case-folded tag index on each fact), key flag and dates, so DynamoDB sends only")
	b.line("the facts the view can select; the view is applied again in memory and the result paged.")
	b.line("Nothing of the organization's other cases is read, so the organization's size does not enter.")
	b.line("The case's facts do: a filter expression applies after DynamoDB reads the items, and a view's")
	b.line("filter cannot be a key condition, so the facts outside the view are still read (and billed) by")
	b.line("DynamoDB, as many items as the member's list of the whole case reads. The issue sets no budget on")
	b.line("facts; by its rule (no growth with what the guest cannot see) this list does not pass, and it")
	b.line("is reported here rather than hidden. What it costs is bounded by the case's facts, not by anything")
	b.line("else in the organization.")
}

// guestGrowth lists every guest read whose median at the largest organization is past
// flatTolerance of the smallest's while its counts stay the same, with where the time went;
// inQuery is whether every one of them grew mostly in DynamoDB wait, most in a Query.
func (r *results) guestGrowth(series []guestSeries) (grown []string, inQuery bool) {
	inQuery = true
	for _, gs := range series {
		if len(gs.rows) < 2 {
			continue
		}
		first, last := gs.rows[0], gs.rows[len(gs.rows)-1]
		for _, pair := range []struct {
			kind string
			a, z *measurement
		}{{"case read", first.read, last.read}, {"list", first.list, last.list}} {
			a, z := pair.a, pair.z
			if ratio(z, a) <= flatTolerance || !sameCalls(a, z) {
				continue
			}
			op, d := mostGrown(a, z)
			dTotal, dWait := median(z.total)-median(a.total), median(z.wait)-median(a.wait)
			grown = append(grown, fmt.Sprintf("%s, %s ×%.2f: %s in all, of which %s DynamoDB wait and %s our overhead; the call that grew most is %s (%s)",
				plural(gs.shares, "share"), pair.kind, ratio(z, a), signedMS(dTotal), signedMS(dWait),
				signedMS(median(z.overhead)-median(a.overhead)), op, signedMS(d)))
			inQuery = inQuery && op == "Query" && dWait >= dTotal*3/4
		}
	}
	return grown, inQuery && len(grown) > 0
}

// guestTimeSpent says where a guest's list spends its time at the smallest and the largest
// organization of every number of shares, by DynamoDB operation; and, for the guest reads
// guestGrowth lists, where their growth is.
func (r *results) guestTimeSpent(b *md, series []guestSeries) {
	var spent []string
	for _, gs := range series {
		if len(gs.rows) < 2 {
			continue
		}
		first, last := gs.rows[0], gs.rows[len(gs.rows)-1]
		spent = append(spent, fmt.Sprintf("%s (%s → %s cases): %s; our overhead %s → %s",
			plural(gs.shares, "share"), thousands(gs.cases[0]), thousands(gs.cases[len(gs.cases)-1]),
			opsGrowth(first.list, last.list), ms(median(first.list.overhead)), ms(median(last.list.overhead))))
	}
	if len(spent) == 0 {
		return
	}
	b.line("Where the guest's list spends its time, median per DynamoDB call and median overhead, smallest")
	b.line("→ largest organization:")
	b.line("")
	for _, p := range spent {
		b.line("- %s.", p)
	}
	b.line("")
	grown, inQuery := r.guestGrowth(series)
	if len(grown) == 0 {
		return
	}
	b.line("**Guest reads over the ×%.2f rule with the same DynamoDB calls, waves and items read at every size:**", flatTolerance)
	b.line("")
	for _, g := range grown {
		b.line("- %s.", g)
	}
	b.line("")
	if !inQuery {
		b.line("This run does not show where that growth comes from.")
		b.line("")
		return
	}
	b.line("The growth is DynamoDB wait, in the Query of the guest's grants. That Query names the")
	b.line("organization's partition and the guest's key prefix and, by DynamoDB's own count, reads only")
	b.line("the guest's grants at every size; yet DynamoDB Local answers it more slowly the more items the")
	b.line("partition holds (the organization's cases are in it). That is the emulator's time, not work that")
	b.line("grows with what the guest cannot see. How DynamoDB itself answers such a Query on a large")
	b.line("partition is not measured here.")
	b.line("")
}

// mostGrown returns the DynamoDB operation whose median call time changed most from a to b,
// and by how much.
func mostGrown(a, z *measurement) (string, time.Duration) {
	best, bestD := "", time.Duration(0)
	for op := range a.ops {
		if _, ok := z.ops[op]; !ok {
			continue
		}
		d := median(z.ops[op]) - median(a.ops[op])
		if best == "" || d.Abs() > bestD.Abs() || d.Abs() == bestD.Abs() && op < best {
			best, bestD = op, d
		}
	}
	return best, bestD
}

// sharedGrowth reports how the guest's list grows with what is shared, at the largest
// organization that holds every number of shares: not a budget, the answer grows with it.
func (r *results) sharedGrowth(series []guestSeries) string {
	if len(series) < 2 {
		return ""
	}
	for i := len(r.scale) - 1; i >= 0; i-- {
		s := r.scale[i]
		if len(s.guests) != len(series) {
			continue
		}
		first, last := s.guests[0], s.guests[len(s.guests)-1]
		var medians []string
		same := true
		for _, g := range s.guests {
			medians = append(medians, fmt.Sprintf("%s with %s", ms(median(g.list.total)), plural(g.shares, "share")))
			same = same && sameWaves(g.list, first.list)
		}
		calls := fmt.Sprintf("the same %s DynamoDB calls in %d waves (typically) at every number of shares, and %s to %s items read",
			counts(first.list.callsMin, first.list.callsMax), first.list.typicalWaves(),
			counts(first.list.itemsMin, first.list.itemsMax), counts(last.list.itemsMin, last.list.itemsMax))
		if !same {
			calls = "DynamoDB calls and waves that differ with the number of shares (see the table)"
		}
		return fmt.Sprintf("What is shared: at %s cases the guest's list takes %s (×%.2f from %s to %s), with %s;"+
			" the answer grows with the cases it lists, as it must. The case read takes %s with %s and %s with %s.",
			thousands(s.cases), strings.Join(medians, ", "), ratio(last.list, first.list), plural(first.shares, "share"),
			plural(last.shares, "share"), calls, ms(median(first.read.total)), plural(first.shares, "share"),
			ms(median(last.read.total)), plural(last.shares, "share"))
	}
	return ""
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
