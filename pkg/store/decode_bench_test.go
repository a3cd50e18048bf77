package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"

	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

func BenchmarkDecodeFact(b *testing.B) {
	at := time.Now().UTC()
	raw, _ := attributevalue.MarshalMap(newFactItem(casescribe.Fact{OrgID: "o", CaseID: "k", ClientID: "c", ID: "01JNQ3ZK",
		Text: "MRI shows a torn medial meniscus of the right knee", Date: "2024-03-01", Tags: []string{"imaging", "key"},
		KeyFact: true, CreatedBy: "u", CreatedAt: at, UpdatedAt: at, Version: 3}))
	b.Run("by hand", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeFact(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("attributevalue", func(b *testing.B) {
		for b.Loop() {
			var it factItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				b.Fatal(err)
			}
			_ = it.domain()
		}
	})
}

// countingDB counts the items its Queries examine (before any filter) and return.
type countingDB struct {
	DB
	scanned, returned atomic.Int64
}

func (c *countingDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.DB.Query(ctx, in, opts...)
	if err == nil {
		c.scanned.Add(int64(out.ScannedCount))
		c.returned.Add(int64(out.Count))
	}
	return out, err
}

// benchFacts writes n facts into one case the way make bench seeds them (the i-th tagged one of
// imaging, treatment, billing, witness in turn, every other one also "reviewed", every tenth a
// key fact), in batches: a guest's view of "imaging" holds a quarter of them.
func benchFacts(b *testing.B, s *Store, orgID, caseID string, n int) {
	b.Helper()
	ctx := context.Background()
	tags := []string{"imaging", "treatment", "billing", "witness"}
	day0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	at := time.Now().UTC()
	var reqs []types.WriteRequest
	flush := func() {
		for len(reqs) > 0 {
			res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: reqs}})
			if err != nil {
				b.Fatal(err)
			}
			reqs = res.UnprocessedItems[s.table]
		}
	}
	for i := range n {
		ft := []string{tags[i%len(tags)]}
		if i%2 == 0 {
			ft = append(ft, "reviewed")
		}
		f := casescribe.Fact{OrgID: orgID, CaseID: caseID, ClientID: "client", ID: ulid.Make().String(),
			Text: fmt.Sprintf("Entry %d of the record: the client reports knee pain after the fall; follow-up noted.", i+1),
			Date: day0.AddDate(0, 0, i).Format(time.DateOnly), Tags: ft, KeyFact: i%10 == 0,
			CreatedBy: "admin", CreatedAt: at, UpdatedAt: at, Version: 1}
		av, err := attributevalue.MarshalMap(newFactItem(f))
		if err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		if len(reqs) == 25 {
			flush()
		}
	}
	flush()
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkViewFacts is a guest's fact list under a saved view of a quarter of the case's facts,
// as far as the store and the scope go: read every fact or only those DynamoDB lets through
// the view's filter, then select in memory. The machine it runs on may
// be shared, so beside wall time it reports this process's CPU time per list (DynamoDB Local
// runs in a process of its own) and the items DynamoDB examined and returned.
func BenchmarkViewFacts(b *testing.B) {
	stack := localstack.ForTest(b)
	counter := &countingDB{DB: stack.DynamoDB()}
	s := New(counter, localstack.NewTestTable(b))
	view := casescribe.SavedView{ID: "v", Name: "Imaging", Filter: casescribe.FactFilter{Tags: []string{"imaging"}}}
	scope := access.Scope{View: &view, Guest: true}
	for _, n := range []int{20, 200, 2000} {
		orgID, caseID := ulid.Make().String(), ulid.Make().String()
		benchFacts(b, s, orgID, caseID, n)
		b.Run(fmt.Sprintf("%d facts/read all", n), func(b *testing.B) {
			benchList(b, counter, n, func(ctx context.Context) ([]casescribe.Fact, error) {
				return s.CaseFacts(ctx, orgID, caseID)
			}, scope)
		})
		b.Run(fmt.Sprintf("%d facts/narrowed", n), func(b *testing.B) {
			benchList(b, counter, n, func(ctx context.Context) ([]casescribe.Fact, error) {
				return s.CaseFactsMatching(ctx, orgID, caseID, view.Filter)
			}, scope)
		})
	}
}

func benchList(b *testing.B, counter *countingDB, n int, read func(context.Context) ([]casescribe.Fact, error), scope access.Scope) {
	ctx := context.Background()
	counter.scanned.Store(0)
	counter.returned.Store(0)
	cpu0 := processCPU()
	lists := 0
	for b.Loop() {
		facts, err := read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got := scope.Select(facts, casescribe.FactFilter{}, scope.View.Sort)
		if want := (n + 3) / 4; len(got) != want {
			b.Fatalf("the view selects %d facts, want %d", len(got), want)
		}
		lists++
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(lists), "cpu-ns/op")
	b.ReportMetric(float64(counter.scanned.Load())/float64(lists), "read/op")
	b.ReportMetric(float64(counter.returned.Load())/float64(lists), "returned/op")
}
