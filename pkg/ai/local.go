package ai

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// Local is the extractive answerer: no model, no network, the same answer for the same
// question and facts. It ranks the facts it is given against the question's words (rarer
// words weigh more), answers with the best ones quoted and cited, and says plainly when none
// matches. It recognises two requests for action, "create a fact: ..." and "tag ... as X",
// and proposes them only when the asker may act.
type Local struct{}

// maxQuoted is how many facts an answer quotes at most; maxTagged how many facts one tagging
// request tags at most (the best matches), so that it fits the transaction that records it.
const (
	maxQuoted = 3
	maxTagged = 50
)

var (
	createIntent = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:create|add|record|log)\s+(?:a\s+)?(?:new\s+)?fact\b\s*(?:that\s+|saying\s+)?[:\-]?\s*(.*)$`)
	tagIntent    = regexp.MustCompile(`(?i)\b(?:tag|label|mark)\b(.*?)\b(?:as|with)\s+["']?([\p{L}\p{N}][\p{L}\p{N} _\-]{0,48}?)["']?\s*[.!?]?\s*$`)
	applyIntent  = regexp.MustCompile(`(?i)\bapply\s+(?:the\s+)?tag\s+["']?([\p{L}\p{N}][\p{L}\p{N}_\-]{0,48})["']?\s*(?:to\s+(.*))?$`)
	isoDate      = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
)

// stopwords carry no meaning for ranking.
var stopwords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "by": true,
	"did": true, "do": true, "does": true, "for": true, "from": true, "had": true, "has": true,
	"have": true, "how": true, "i": true, "in": true, "is": true, "it": true, "me": true, "of": true,
	"on": true, "or": true, "the": true, "there": true, "this": true, "to": true, "was": true,
	"were": true, "what": true, "when": true, "where": true, "which": true, "who": true, "why": true,
	"with": true, "any": true, "about": true, "facts": true, "fact": true, "tell": true, "show": true,
	"all": true, "can": true, "you": true, "please": true, "case": true,
}

// words returns the meaningful lower-case words of s.
func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !stopwords[w] && len(w) > 1 {
			out = append(out, w)
		}
	}
	return out
}

// scored is a fact and how well it matches.
type scored struct {
	fact  casescribe.Fact
	score float64
}

// rank orders facts by how well they match the question's words: each distinct question
// word a fact contains (in its text or tags, as a word or a word's start) adds its inverse
// document frequency. Facts that match nothing are left out.
func rank(question string, facts []casescribe.Fact) []scored {
	qs := slices.Compact(slices.Sorted(slices.Values(words(question))))
	if len(qs) == 0 {
		return nil
	}
	factWords := make([][]string, len(facts))
	df := map[string]int{}
	for i, f := range facts {
		factWords[i] = words(f.Text + " " + strings.Join(f.Tags, " "))
		for _, q := range qs {
			if containsWord(factWords[i], q) {
				df[q]++
			}
		}
	}
	var out []scored
	for i, f := range facts {
		s := 0.0
		for _, q := range qs {
			if containsWord(factWords[i], q) {
				s += math.Log(1 + float64(len(facts))/float64(df[q]))
			}
		}
		if s > 0 {
			if f.KeyFact {
				s += 0.01 // breaks ties toward key facts
			}
			out = append(out, scored{f, s})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.fact.ID, b.fact.ID)
	})
	return out
}

// containsWord reports whether ws holds w, or a word starting with w (mri matches mri's).
func containsWord(ws []string, w string) bool {
	return slices.ContainsFunc(ws, func(x string) bool { return x == w || (len(w) > 3 && strings.HasPrefix(x, w)) })
}

// Answer implements Provider.
func (Local) Answer(_ context.Context, q Question) (Answer, error) {
	if a, ok := actionRequest(q); ok {
		return a, nil
	}
	best := rank(q.Text, q.Facts)
	if len(best) == 0 {
		return Answer{Text: "Nothing in the facts you can see answers this question."}, nil
	}
	best = best[:min(len(best), maxQuoted)]
	var b strings.Builder
	b.WriteString("From the facts you can see:")
	var cites []string
	for _, s := range best {
		f := s.fact
		b.WriteString("\n- ")
		if f.Date != "" {
			b.WriteString(f.Date + ": ")
		}
		fmt.Fprintf(&b, "%q", f.Text)
		cites = append(cites, f.ID)
	}
	return Answer{Text: b.String(), Citations: cites}, nil
}

// actionRequest recognises a request to create a fact or apply a tag. An asker who may not
// act is told so, and offered nothing.
func actionRequest(q Question) (Answer, bool) {
	var act Action
	var say string
	switch {
	case createIntent.MatchString(q.Text):
		text := strings.TrimSpace(createIntent.FindStringSubmatch(q.Text)[1])
		act = Action{Kind: CreateFact, Text: text}
		if d := isoDate.FindString(text); d != "" {
			if _, err := time.Parse(time.DateOnly, d); err == nil {
				act.Date = d
			}
		}
		say = fmt.Sprintf("Creating the fact %q.", text)
	case applyIntent.MatchString(q.Text), tagIntent.MatchString(q.Text):
		var tag, about string
		if m := applyIntent.FindStringSubmatch(q.Text); m != nil {
			tag, about = m[1], m[2]
		} else {
			m := tagIntent.FindStringSubmatch(q.Text)
			about, tag = m[1], m[2]
		}
		act = Action{Kind: ApplyTag, Tag: strings.TrimSpace(tag)}
		for _, s := range rank(about, q.Facts) {
			if len(act.FactIDs) == maxTagged {
				break
			}
			act.FactIDs = append(act.FactIDs, s.fact.ID)
		}
		say = fmt.Sprintf("Tagging %d facts as %q.", len(act.FactIDs), act.Tag)
	default:
		return Answer{}, false
	}
	if !q.CanAct {
		return Answer{Text: "I can't do that: your access to this case is read-only, so I cannot create facts or apply tags for you."}, true
	}
	if act.Kind == CreateFact && act.Text == "" || act.Kind == ApplyTag && len(act.FactIDs) == 0 {
		return Answer{Text: "I could not tell which fact to create or which facts to tag; say it again more precisely."}, true
	}
	return Answer{Text: say, Citations: act.FactIDs, Actions: []Action{act}}, true
}

// tagWords maps a tag to the words that suggest it. The local tagger is this dictionary: it
// proposes a tag for a fact whose text holds one of its words.
var tagWords = []struct {
	tag   string
	words []string
}{
	{"imaging", []string{"mri", "x-ray", "xray", "ct", "scan", "ultrasound", "imaging", "radiology", "radiologist"}},
	{"treatment", []string{"surgery", "surgeon", "therapy", "physiotherapy", "prescribed", "medication", "treatment", "arthroscopy", "injection", "operation"}},
	{"symptoms", []string{"pain", "swelling", "reported", "complained", "symptom", "symptoms", "numbness", "stiffness", "limp"}},
	{"billing", []string{"invoice", "bill", "billed", "cost", "paid", "payment", "usd", "fee", "charge"}},
	{"witness", []string{"witness", "testified", "statement", "deposition"}},
	{"insurance", []string{"insurer", "insurance", "claim", "policy", "adjuster"}},
}

// SuggestTags implements Provider with the tag dictionary: tags a fact does not carry yet.
func (Local) SuggestTags(_ context.Context, facts []casescribe.Fact) ([]TagSuggestion, error) {
	var out []TagSuggestion
	for _, f := range facts {
		text := strings.FieldsFunc(strings.ToLower(f.Text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' })
		var tags []string
		for _, tw := range tagWords {
			if slices.ContainsFunc(f.Tags, func(t string) bool { return strings.EqualFold(t, tw.tag) }) {
				continue
			}
			if slices.ContainsFunc(tw.words, func(w string) bool { return slices.Contains(text, w) }) {
				tags = append(tags, tw.tag)
			}
		}
		if len(tags) > 0 {
			out = append(out, TagSuggestion{FactID: f.ID, Tags: tags})
		}
	}
	return out, nil
}

// Group implements Provider as a timeline: one group per month of the facts' dates, in date
// order, and "Undated" last.
func (Local) Group(_ context.Context, facts []casescribe.Fact) ([]Group, error) {
	sorted := slices.Clone(facts)
	slices.SortStableFunc(sorted, func(a, b casescribe.Fact) int {
		switch {
		case a.Date == "" && b.Date != "":
			return 1
		case a.Date != "" && b.Date == "":
			return -1
		}
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	var out []Group
	for _, f := range sorted {
		name := "Undated"
		if d, err := time.Parse(time.DateOnly, f.Date); err == nil {
			name = d.Format("January 2006")
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, Group{Name: name})
		}
		out[len(out)-1].FactIDs = append(out[len(out)-1].FactIDs, f.ID)
	}
	return out, nil
}
