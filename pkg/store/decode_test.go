package store

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// decodeFact must read every stored fact exactly as attributevalue does.
func TestDecodeFactMatchesAttributeValue(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 4, 5, 123456789, time.UTC)
	facts := []casescribe.Fact{
		{OrgID: "o", CaseID: "k", ClientID: "c", ID: "f1", Text: "MRI shows a tear", Date: "2024-03-01",
			Tags: []string{"imaging", "a.b", "Émile [x]"}, KeyFact: true, DocumentID: "d", Group: "March 2024",
			CreatedBy: "u", CreatedAt: at, UpdatedAt: at.Add(time.Hour), Version: 7},
		{OrgID: "o", CaseID: "k", ClientID: "c", ID: "f2", Text: "No tags, no date", CreatedAt: at, UpdatedAt: at, Version: 1},
	}
	for _, f := range facts {
		raw, err := attributevalue.MarshalMap(newFactItem(f))
		if err != nil {
			t.Fatal(err)
		}
		var it factItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			t.Fatal(err)
		}
		want := it.domain()
		got, err := decodeFact(raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeFact = %+v, %v\nwant %+v", got, err, want)
		}
		// Lists read only factAttributes: the fact is all there.
		projected := map[string]types.AttributeValue{}
		for _, name := range factAttributes {
			if av, ok := raw[name]; ok {
				projected[name] = av
			}
		}
		if got, err := decodeFact(projected); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeFact of factAttributes = %+v, %v\nwant %+v", got, err, want)
		}
	}
	// An item of an unexpected shape is left to attributevalue, which says what is wrong.
	raw, _ := attributevalue.MarshalMap(newFactItem(facts[1]))
	raw["version"] = &types.AttributeValueMemberS{Value: "seven"}
	if _, err := decodeFact(raw); err == nil {
		t.Error("a fact whose version is text decoded without error")
	}
}

// A fact item is written with its tag index, one set of spellings per tag key, and the marker
// that says the index is whole.
func TestFactItemTagIndex(t *testing.T) {
	f := casescribe.Fact{OrgID: "o", CaseID: "k", ID: "f", Tags: []string{"Imaging", "imaging", "a.b", "Kelvin"}, Version: 1}
	raw, err := attributevalue.MarshalMap(newFactItem(f))
	if err != nil {
		t.Fatal(err)
	}
	var index []string
	for name, av := range raw {
		if key, ok := strings.CutPrefix(name, tagIndexPrefix); ok {
			ss, _ := av.(*types.AttributeValueMemberSS)
			if ss == nil {
				t.Fatalf("%s is %T, want a string set", name, av)
			}
			index = append(index, key+"="+strings.Join(ss.Value, ","))
		}
	}
	slices.Sort(index)
	if want := []string{"a.b=a.b", "imaging=Imaging,imaging", "kelvin=\u212Aelvin"}; !slices.Equal(index, want) {
		t.Errorf("tag index = %q, want %q", index, want)
	}
	if m, ok := raw[tagIndexMarker].(*types.AttributeValueMemberN); !ok || m.Value != "1" {
		t.Errorf("marker = %v, want 1", raw[tagIndexMarker])
	}
	// A fact without tags has no index but is marked all the same.
	raw, _ = attributevalue.MarshalMap(newFactItem(casescribe.Fact{ID: "g"}))
	for name := range raw {
		if strings.HasPrefix(name, tagIndexPrefix) {
			t.Errorf("a fact without tags has %s", name)
		}
	}
	if _, ok := raw[tagIndexMarker]; !ok {
		t.Error("a fact without tags is not marked")
	}
}

// tagKey gives two tags the same key exactly when strings.EqualFold matches them: checked for
// every character against its case variants, then on strings.
func TestTagKey(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are not characters of a string
		}
		k := foldRune(r)
		if got := tagKey(string(r)); got != string(k) {
			t.Fatalf("tagKey(%q) = %q, foldRune gives %q", r, got, k)
		}
		inOrbit := k == r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if foldRune(f) != k {
				t.Fatalf("foldRune(%q) = %q but foldRune(%q) = %q", r, k, f, foldRune(f))
			}
			inOrbit = inOrbit || f == k
		}
		// A key among the character's own variants is one no character of another set of
		// variants has.
		if !inOrbit {
			t.Fatalf("foldRune(%q) = %q, not a case variant of it", r, k)
		}
	}
	pieces := []string{"a", "A", "k", "K", "\u212A", "s", "S", "ſ", "σ", "ς", "Σ", "i", "I", "İ", "ı", "ß", "ẞ",
		"é", "É", ".", " ", "\xff", "\uFFFD", "ǅ", "ǆ", "Ǆ"}
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	matched := 0
	for range 200000 {
		a, b := word(), word()
		if same := tagKey(a) == tagKey(b); same != strings.EqualFold(a, b) {
			t.Fatalf("%q and %q: same key %v, EqualFold %v", a, b, same, !same)
		} else if same && a != b {
			matched++
		}
	}
	if matched == 0 {
		t.Fatal("no two different spellings matched: the check checked nothing")
	}
}
