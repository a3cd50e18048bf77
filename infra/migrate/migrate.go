package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// DB is what a migration run calls: the store's calls and Scan. *dynamodb.Client implements it.
type DB interface {
	store.DB
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Options says what one run reads.
type Options struct {
	Table string
	// From is the resume token a stopped run printed; "" starts at the beginning of the table.
	From string
	// PageSize is how many items one Scan page evaluates (DynamoDB's Limit, applied before the
	// filter, so a page may hold no legacy membership at all).
	PageSize int32
	// MaxPages stops the run after that many pages; 0 reads the table to its end.
	MaxPages int
}

// Totals counts what a run did.
type Totals struct {
	Pages int
	// Scanned counts the memberships the scan found still carrying the retired list.
	Scanned int
	// Migrated counts those this run migrated: their list is gone, turned into shares. The
	// others were migrated or removed meanwhile, or are Conflicts.
	Migrated int
	// Created counts the shares made.
	Created int
	// Conflicts counts memberships that changed during their migration (e.g. the guest's
	// first request migrated them at the same moment): a later run from the start finishes
	// whatever they still hold.
	Conflicts int
	// Next resumes the run after the last page it finished; Done says the table was read to
	// its end, when there is nothing to resume.
	Next string
	Done bool
}

// run migrates every membership still carrying the retired visibleClients list into client
// shares (store.MigrateLegacyShares), page by page, and writes each page's counts and resume
// token to out. On an error it returns the totals so far, whose Next resumes the run: a page is
// only ever redone, never skipped, and redoing one is harmless, since migrating is idempotent.
func run(ctx context.Context, db DB, opts Options, out io.Writer) (Totals, error) {
	totals := Totals{Next: opts.From}
	start, err := decodeToken(opts.From)
	if err != nil {
		return totals, err
	}
	filter := expression.Name("type").Equal(expression.Value("membership")).
		And(expression.AttributeExists(expression.Name("visibleClients")))
	expr, err := expression.NewBuilder().WithFilter(filter).
		WithProjection(expression.NamesList(expression.Name("orgId"), expression.Name("userId"))).Build()
	if err != nil {
		return totals, fmt.Errorf("build scan: %w", err)
	}
	s := store.New(db, opts.Table)
	newID := func() string { return ulid.Make().String() }
	for opts.MaxPages == 0 || totals.Pages < opts.MaxPages {
		in := &dynamodb.ScanInput{TableName: aws.String(opts.Table), FilterExpression: expr.Filter(),
			ProjectionExpression: expr.Projection(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues: expr.Values(), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)}
		if opts.PageSize > 0 {
			in.Limit = aws.Int32(opts.PageSize)
		}
		page, err := db.Scan(ctx, in)
		if err != nil {
			return totals, fmt.Errorf("scan page %d: %w", totals.Pages+1, err)
		}
		counts := Totals{Scanned: len(page.Items)}
		for _, raw := range page.Items {
			if err := migrateOne(ctx, s, raw, newID, &counts); err != nil {
				return totals, fmt.Errorf("page %d: %w", totals.Pages+1, err)
			}
		}
		next, err := encodeToken(page.LastEvaluatedKey)
		if err != nil {
			return totals, err
		}
		totals.Pages++
		totals.Scanned += counts.Scanned
		totals.Migrated += counts.Migrated
		totals.Created += counts.Created
		totals.Conflicts += counts.Conflicts
		totals.Next, totals.Done, start = next, next == "", page.LastEvaluatedKey
		fmt.Fprintf(out, "page %d: %d memberships scanned, %d migrated, %d shares created, %d conflicts to retry",
			totals.Pages, counts.Scanned, counts.Migrated, counts.Created, counts.Conflicts)
		if totals.Done {
			fmt.Fprintln(out, "; end of table")
			break
		}
		fmt.Fprintf(out, "; resume with -from %s\n", next)
	}
	return totals, nil
}

// migrateOne migrates the membership of one scanned item, read afresh (strongly consistent)
// so that it is decided on its current state, and adds what happened to counts.
func migrateOne(ctx context.Context, s *store.Store, raw map[string]types.AttributeValue, newID func() string, counts *Totals) error {
	var ref struct {
		OrgID  string `dynamodbav:"orgId"`
		UserID string `dynamodbav:"userId"`
	}
	if err := attributevalue.UnmarshalMap(raw, &ref); err != nil {
		return fmt.Errorf("decode membership: %w", err)
	}
	m, err := s.GetMembership(ctx, ref.OrgID, ref.UserID)
	switch {
	case casescribe.ErrorCode(err) == casescribe.ENOTFOUND:
		return nil // removed since the scan read it: nothing left to migrate
	case err != nil:
		return err
	case len(m.LegacyVisibleClients) == 0:
		return nil // migrated since the scan read it, by the person's first request
	}
	created, err := s.MigrateLegacyShares(ctx, m, newID, time.Now().UTC())
	counts.Created += created
	switch {
	case casescribe.ErrorCode(err) == casescribe.ECONFLICT:
		counts.Conflicts++
	case err != nil:
		return fmt.Errorf("migrate membership: %w", err)
	default:
		counts.Migrated++
	}
	return nil
}

// A resume token is a Scan's LastEvaluatedKey (the table's key: PK and SK, both strings) as
// base64 JSON: printable, and checked when read back. It is printed, so it must carry no
// personal data: a key that ends on an email address (EMAIL#<address>) is replaced by one that
// sorts after every such key of its partition and before the next kind of item. A Scan resumes
// from a key that need not exist, so the run skips only the rest of those email items (none is
// a membership) and always moves forward.
func encodeToken(lek map[string]types.AttributeValue) (string, error) {
	if len(lek) == 0 {
		return "", nil
	}
	var k map[string]string
	if err := attributevalue.UnmarshalMap(lek, &k); err != nil {
		return "", fmt.Errorf("encode resume token: %w", err)
	}
	if strings.HasPrefix(k["SK"], emailKeyPrefix) {
		k["SK"] = afterEmailKeys
	}
	b, err := json.Marshal(k)
	if err != nil {
		return "", fmt.Errorf("encode resume token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// emailKeyPrefix begins the sort key of an organization's item per email address;
// afterEmailKeys sorts after all of them (DynamoDB compares UTF-8 bytes, and no character
// encodes higher than the last code point).
const (
	emailKeyPrefix = "EMAIL#"
	afterEmailKeys = emailKeyPrefix + "\U0010FFFF"
)

// errBadToken refuses a -from that no run printed.
var errBadToken = errors.New("bad resume token: pass -from exactly as a run printed it")

func decodeToken(token string) (map[string]types.AttributeValue, error) {
	if token == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, errBadToken
	}
	var k map[string]string
	if err := json.Unmarshal(b, &k); err != nil || len(k) != 2 || k["PK"] == "" || k["SK"] == "" {
		return nil, errBadToken
	}
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: k["PK"]},
		"SK": &types.AttributeValueMemberS{Value: k["SK"]},
	}, nil
}
