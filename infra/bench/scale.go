package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"
)

// seedWorkers is how many BatchWriteItem calls run at once while seeding: enough to keep
// DynamoDB Local busy on two cores.
const seedWorkers = 4

// scaleGuest is a login of the scale measurement that holds shares case shares in every
// organization with at least that many cases.
type scaleGuest struct {
	shares int
	acc    account
}

// orgGuest is a scale guest in one organization.
type orgGuest struct {
	shares int
	acc    account
	caseID string // a case shared with them, which they read
	listed int    // the cases GET /cases listed for them before the measurement
}

// scaleOrg is an organization of the scale measurement.
type scaleOrg struct {
	cases, clients int
	orgID, name    string
	caseID         string // the case the member reads
	// firstCase is the first case made through the store, of firstClient: the view guest's.
	firstClient, firstCase string
	guests                 []orgGuest
}

// seedScaleOrg creates an organization with n cases and its guests. It has as many clients as
// the most shares any guest holds in it (at least one), each with one case made through the
// store; the other cases are copies of the first one's item made with BatchWriteItem (see
// cloneCases), spread evenly over the clients. Each guest holding s ≤ n shares gets a case
// share of the first s of the store's cases, one per client, through the store. The member
// reads the middle case.
func (p *inProcess) seedScaleOrg(ctx context.Context, n int, guests []scaleGuest) (scaleOrg, error) {
	k := 1
	for _, g := range guests {
		if g.shares <= n {
			k = max(k, g.shares)
		}
	}
	name := fmt.Sprintf("Scale %d LLP", n)
	orgID, first, err := p.newOrg(ctx, name)
	if err != nil {
		return scaleOrg{}, err
	}
	clients := make([]string, k)
	clients[0] = first
	if err := inParallel(ctx, k-1, seedWorkers, func(ctx context.Context, i int) error {
		id, err := p.newClient(ctx, orgID, fmt.Sprintf("Client %d", i+2))
		clients[i+1] = id
		return err
	}); err != nil {
		return scaleOrg{}, err
	}
	cases := make([]string, k)
	if err := inParallel(ctx, k, seedWorkers, func(ctx context.Context, i int) error {
		id, err := p.newCase(ctx, orgID, clients[i], fmt.Sprintf("Case %d", i+1))
		cases[i] = id
		return err
	}); err != nil {
		return scaleOrg{}, err
	}
	ids := cases
	if n > k {
		more, err := cloneCases(ctx, p.seedDB, cases[0], clients, n-k)
		if err != nil {
			return scaleOrg{}, err
		}
		ids = append(ids, more...)
	}
	o := scaleOrg{cases: n, clients: k, orgID: orgID, name: name, caseID: ids[len(ids)/2], firstClient: clients[0], firstCase: cases[0]}
	for _, g := range guests {
		if g.shares > n {
			continue
		}
		if err := p.addGuest(ctx, orgID, name, g.acc.user); err != nil {
			return scaleOrg{}, err
		}
		if err := p.shareCases(ctx, orgID, g.acc.user, clients[:g.shares], cases[:g.shares]); err != nil {
			return scaleOrg{}, err
		}
		o.guests = append(o.guests, orgGuest{shares: g.shares, acc: g.acc, caseID: cases[(g.shares-1)/2]})
	}
	return o, nil
}

// itemScanner is the part of the DynamoDB client seeding uses.
type itemScanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// cloneCases writes n copies of the case item the store wrote for templateID, each under a new
// id, the i-th in clients[i % len(clients)] (clients[0] must be the template's client): see
// cloneRequests. Copying what the store wrote keeps the benchmark free of the table's item
// layout, and BatchWriteItem writes 25 items a call where the store's transaction writes one,
// so 10,000 cases take seconds. The clients' case counts are left as they are: no measured
// request reads them.
func cloneCases(ctx context.Context, db itemScanner, templateID string, clients []string, n int) ([]string, error) {
	template, err := findItem(ctx, db, templateID)
	if err != nil {
		return nil, err
	}
	ids, requests := cloneRequests(template, templateID, clients, n)
	batches := make(chan []types.WriteRequest)
	errs := make(chan error, seedWorkers)
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Go(func() {
			for b := range batches {
				if err := writeBatch(ctx, db, b); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	go func() {
		defer close(batches)
		for len(requests) > 0 {
			k := min(len(requests), 25)
			select {
			case batches <- requests[:k]:
			case <-ctx.Done():
				return
			}
			requests = requests[k:]
		}
	}()
	wg.Wait()
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		return nil, fmt.Errorf("seed %d cases: %w", n, err)
	}
	return ids, ctx.Err()
}

// cloneRequests makes n copies of a case item and the requests that write them: every string
// attribute that holds the template's id (keys, index keys, the id itself) gets a new one,
// and the i-th copy moves from the template's client, clients[0], to clients[i % len(clients)]
// the same way.
func cloneRequests(template map[string]types.AttributeValue, templateID string, clients []string, n int) ([]string, []types.WriteRequest) {
	ids := make([]string, n)
	requests := make([]types.WriteRequest, n)
	for i := range ids {
		ids[i] = ulid.Make().String()
		// The client first, then the new id: a random id may contain the client's id as text.
		item := template
		if c := clients[i%len(clients)]; c != clients[0] {
			item = withID(item, clients[0], c)
		}
		item = withID(item, templateID, ids[i])
		requests[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	return ids, requests
}

// collect drains a closed channel of errors.
func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// findItem returns the raw item whose "id" attribute is id. The table is the benchmark's own
// and small when this runs, so a filtered scan is cheap.
func findItem(ctx context.Context, db itemScanner, id string) (map[string]types.AttributeValue, error) {
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName:                 aws.String(benchTable),
		FilterExpression:          aws.String("#id = :id"),
		ExpressionAttributeNames:  map[string]string{"#id": "id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: id}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("find item %s: %w", id, err)
		}
		if len(page.Items) > 0 {
			return page.Items[0], nil
		}
	}
	return nil, fmt.Errorf("find item %s: not in the table", id)
}

// withID returns a copy of item in which every string attribute has oldID replaced by newID.
func withID(item map[string]types.AttributeValue, oldID, newID string) map[string]types.AttributeValue {
	out := maps.Clone(item)
	for k, v := range out {
		if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, oldID) {
			out[k] = &types.AttributeValueMemberS{Value: strings.ReplaceAll(s.Value, oldID, newID)}
		}
	}
	return out
}

// writeBatch writes up to 25 items, retrying what DynamoDB hands back unprocessed.
func writeBatch(ctx context.Context, db itemScanner, requests []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{benchTable: requests}
	for attempt := 0; len(pending[benchTable]) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if attempt == 20 {
			return errors.New("batch write: items still unprocessed after 20 attempts")
		}
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return fmt.Errorf("batch write: %w", err)
		}
		pending = out.UnprocessedItems
	}
	return nil
}
