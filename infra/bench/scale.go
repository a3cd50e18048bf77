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

// scaleOrg is an organization of the scale measurement.
type scaleOrg struct {
	cases  int
	orgID  string
	caseID string // the case the member reads
}

// seedScaleOrg creates an organization with n cases of one client and returns it with the
// case to read (the middle one). The first case goes through the store; the others are copies
// of the item it wrote, made with BatchWriteItem (see cloneCases).
func (p *inProcess) seedScaleOrg(ctx context.Context, n int) (scaleOrg, error) {
	orgID, clientID, err := p.newOrg(ctx, fmt.Sprintf("Scale %d LLP", n))
	if err != nil {
		return scaleOrg{}, err
	}
	first, err := p.newCase(ctx, orgID, clientID, "Case 1")
	if err != nil {
		return scaleOrg{}, err
	}
	ids := []string{first}
	if n > 1 {
		more, err := cloneCases(ctx, p.seedDB, first, n-1)
		if err != nil {
			return scaleOrg{}, err
		}
		ids = append(ids, more...)
	}
	return scaleOrg{cases: n, orgID: orgID, caseID: ids[len(ids)/2]}, nil
}

// itemScanner is the part of the DynamoDB client seeding uses.
type itemScanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// cloneCases writes n copies of the case item the store wrote for templateID, each under a new
// id: every string attribute that holds the template's id (keys, index keys, the id itself)
// gets the new one. Copying what the store wrote keeps the benchmark free of the table's item
// layout, and BatchWriteItem writes 25 items a call where the store's transaction writes one,
// so 10,000 cases take seconds. The client's case count is left as it is: no measured request
// reads it.
func cloneCases(ctx context.Context, db itemScanner, templateID string, n int) ([]string, error) {
	template, err := findItem(ctx, db, templateID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, n)
	var requests []types.WriteRequest
	for i := range ids {
		ids[i] = ulid.Make().String()
		requests = append(requests, types.WriteRequest{PutRequest: &types.PutRequest{Item: withID(template, templateID, ids[i])}})
	}
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
