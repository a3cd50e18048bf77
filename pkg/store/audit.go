package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// The audit trail is written in the very transaction of the change it records, so that no
// change lands without its entry and no entry without its change, and without a second
// signature for every store method: the caller puts the record in the context (WithAudit),
// and auditingDB, which wraps the store's client, adds the entry and the chain's new head to
// the method's one write. The head's condition (its seq is still the one read) makes
// concurrent appends take turns: a writer that lost the head reads it again and tries again.

// auditTransactItems is how many items an audited write adds to its transaction.
const auditTransactItems = 2

// auditAttempts bounds the tries of one audited write that keeps losing the head to other
// writers of its organization, the first included.
const auditAttempts = 10

// Backoff before audited retry n (1-based) is random in [0, min(auditRetryCap, auditRetryBase·2^(n-1))).
const (
	auditRetryBase = 5 * time.Millisecond
	auditRetryCap  = 200 * time.Millisecond
)

type auditKey struct{}

// auditSlot carries one record through one store call; it is used by the first write only,
// so a method that writes twice never records twice.
type auditSlot struct {
	rec  audit.Record
	mu   sync.Mutex
	used bool
}

// take returns the record if no write has used it yet, and marks it used.
func (a *auditSlot) take() (audit.Record, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.used {
		return audit.Record{}, false
	}
	a.used = true
	return a.rec, true
}

// give returns the record unused, after a write that did not happen.
func (a *auditSlot) give() {
	a.mu.Lock()
	a.used = false
	a.mu.Unlock()
}

// WithAudit returns ctx carrying rec: the next write a store method makes with it (one
// transaction, or one single-item write turned into a transaction) also appends rec to its
// organization's audit chain, atomically. Pass it to one store call only.
func WithAudit(ctx context.Context, rec audit.Record) context.Context {
	return context.WithValue(ctx, auditKey{}, &auditSlot{rec: rec})
}

// RecordExpiry returns ctx carrying the audit record of the sweep removing sh, which ended at
// its ExpiresAt, at at: the removal records the expiry, by the system, in its own transaction.
func RecordExpiry(ctx context.Context, sh casescribe.Share, at time.Time) context.Context {
	return WithAudit(ctx, audit.Expired(sh, at))
}

func auditOf(ctx context.Context) *auditSlot {
	a, _ := ctx.Value(auditKey{}).(*auditSlot)
	return a
}

// auditingDB appends the record a write's context carries to the audit chain, in the write's
// own transaction. Writes without a record, and reads, pass through.
type auditingDB struct {
	DB
	table string
}

// TransactWriteItems appends the entry and the new head after the caller's items, so that the
// indexes of the caller's items in a cancellation are unchanged. A transaction cancelled only
// because another append took the head meanwhile is built again on the new head; any other
// failure is returned untouched, for the caller's own error mapping.
func (d auditingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	slot := auditOf(ctx)
	if slot == nil {
		return d.DB.TransactWriteItems(ctx, in, opts...)
	}
	rec, ok := slot.take()
	if !ok {
		return d.DB.TransactWriteItems(ctx, in, opts...)
	}
	out, err := d.appendTo(ctx, rec, in, opts)
	if err != nil {
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			// Nothing was written before the transaction was sent (or it never was).
			slot.give()
		}
	}
	return out, err
}

func (d auditingDB) appendTo(ctx context.Context, rec audit.Record, in *dynamodb.TransactWriteItemsInput, opts []func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if err := rec.Check(); err != nil {
		return nil, err
	}
	own := len(in.TransactItems)
	if own+auditTransactItems > maxTransactItems {
		return nil, casescribe.Errorf(casescribe.ECONFLICT, "This change touches too many records at once to be recorded in the audit trail; make it in smaller steps.")
	}
	for attempt := 1; ; attempt++ {
		head, err := d.head(ctx, rec.OrgID)
		if err != nil {
			return nil, err
		}
		items, err := d.auditItems(audit.Next(rec, head), head)
		if err != nil {
			return nil, err
		}
		try := *in
		try.TransactItems = append(append(make([]types.TransactWriteItem, 0, own+len(items)), in.TransactItems...), items...)
		out, err := d.DB.TransactWriteItems(ctx, &try, opts...)
		if err == nil || !lostHead(err, own) {
			return out, err
		}
		if attempt == auditAttempts || ctx.Err() != nil {
			return nil, casescribe.Errorf(casescribe.ECONFLICT, "Many changes were being recorded at the same time; try again.")
		}
		wait := time.NewTimer(rand.N(min(auditRetryCap, auditRetryBase<<(attempt-1))))
		select {
		case <-ctx.Done():
			wait.Stop()
			return nil, casescribe.Errorf(casescribe.ECONFLICT, "Many changes were being recorded at the same time; try again.")
		case <-wait.C:
		}
	}
}

// lostHead reports whether err cancelled a transaction only because the conditions of its
// audit items (from index own on) failed: another writer appended to the chain meanwhile. A
// failed condition of the caller's own items is the caller's answer, and a lost race was
// already retried below (retryingDB): neither is retried here.
func lostHead(err error, own int) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	audited := false
	for i, r := range tce.CancellationReasons {
		switch code := aws.ToString(r.Code); {
		case code == "" || code == "None":
		case i >= own && code == "ConditionalCheckFailed":
			audited = true
		default:
			return false
		}
	}
	return audited
}

// head reads an organization's chain head, strongly consistent: Seq 0 when it has no entry.
func (d auditingDB) head(ctx context.Context, orgID string) (audit.Head, error) {
	return readAuditHead(ctx, d.DB, d.table, orgID)
}

func readAuditHead(ctx context.Context, db DB, table, orgID string) (audit.Head, error) {
	res, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table,
		Key: key(orgPK(orgID), auditHeadSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return audit.Head{}, convert("read audit head", err)
	}
	if res.Item == nil {
		return audit.Head{}, nil
	}
	var it auditHeadItem
	if err := attributevalue.UnmarshalMap(res.Item, &it); err != nil {
		return audit.Head{}, fmt.Errorf("decode audit head: %w", err)
	}
	return audit.Head{Seq: it.Seq, Hash: it.Hash}, nil
}

// auditItems are the put of entry e, which must not exist yet, and of the head it becomes,
// under the condition that the head is still prev.
func (d auditingDB) auditItems(e audit.Entry, prev audit.Head) ([]types.TransactWriteItem, error) {
	entry, err := attributevalue.MarshalMap(newAuditItem(e))
	if err != nil {
		return nil, fmt.Errorf("encode audit entry: %w", err)
	}
	entryExpr, err := expression.NewBuilder().WithCondition(mustNotExist()).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	head, err := attributevalue.MarshalMap(auditHeadItem{PK: orgPK(e.OrgID), SK: auditHeadSK,
		Type: typeAuditHead, Seq: e.Seq, Hash: e.Hash})
	if err != nil {
		return nil, fmt.Errorf("encode audit head: %w", err)
	}
	cond := mustNotExist()
	if prev.Seq > 0 {
		cond = expression.Name("seq").Equal(expression.Value(prev.Seq))
	}
	headExpr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return []types.TransactWriteItem{
		{Put: &types.Put{TableName: &d.table, Item: entry, ConditionExpression: entryExpr.Condition(),
			ExpressionAttributeNames: entryExpr.Names()}},
		{Put: &types.Put{TableName: &d.table, Item: head, ConditionExpression: headExpr.Condition(),
			ExpressionAttributeNames: headExpr.Names(), ExpressionAttributeValues: headExpr.Values()}},
	}, nil
}

// PutItem with a record becomes a transaction of the put and the audit items.
func (d auditingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if auditOf(ctx) == nil {
		return d.DB.PutItem(ctx, in, opts...)
	}
	if in.ReturnValues != "" && in.ReturnValues != types.ReturnValueNone {
		return nil, errors.New("an audited PutItem cannot return values")
	}
	_, err := d.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{
		TableName: in.TableName, Item: in.Item, ConditionExpression: in.ConditionExpression,
		ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: in.ReturnValuesOnConditionCheckFailure}}}}, opts...)
	if err != nil {
		return nil, singleItemError(err)
	}
	return &dynamodb.PutItemOutput{}, nil
}

// UpdateItem with a record becomes a transaction of the update and the audit items. A
// transaction returns no values, so an audited update may not ask for any.
func (d auditingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if auditOf(ctx) == nil {
		return d.DB.UpdateItem(ctx, in, opts...)
	}
	if in.ReturnValues != "" && in.ReturnValues != types.ReturnValueNone {
		return nil, errors.New("an audited UpdateItem cannot return values")
	}
	_, err := d.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Update: &types.Update{
		TableName: in.TableName, Key: in.Key, UpdateExpression: in.UpdateExpression,
		ConditionExpression: in.ConditionExpression, ExpressionAttributeNames: in.ExpressionAttributeNames,
		ExpressionAttributeValues:           in.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: in.ReturnValuesOnConditionCheckFailure}}}}, opts...)
	if err != nil {
		return nil, singleItemError(err)
	}
	return &dynamodb.UpdateItemOutput{}, nil
}

// singleItemError answers a single-item write that was sent as a transaction as the write
// itself would have: a failed condition of its one item is a ConditionalCheckFailedException.
func singleItemError(err error) error {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 &&
		aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed"),
			Item: tce.CancellationReasons[0].Item}
	}
	return err
}

// AppendAudit appends rec to its organization's audit chain as a write of its own, for what
// changes nothing else (a guest's export). Returns EINVALID for a record that cannot be
// recorded, ECONFLICT if the chain was too busy to take it.
func (s *Store) AppendAudit(ctx context.Context, rec audit.Record) error {
	_, err := s.db.TransactWriteItems(WithAudit(ctx, rec), &dynamodb.TransactWriteItemsInput{})
	return convert("append audit entry", err)
}

// AuditFilter narrows a list of audit entries; zero fields do not.
type AuditFilter struct {
	// CaseID keeps entries that concern this case.
	CaseID string
	// UserID keeps entries that concern this person (as subject or actor).
	UserID string
	// From and To keep entries at or after From and at or before To.
	From, To time.Time
}

// auditList is the cursor list of audit entries.
const auditList = "audit"

func validAuditSeq(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && n > 0 && len(id) == auditSeqDigits
}

// AuditEntries returns one page of an organization's audit entries that match filter, newest
// first, reading on until limit entries match or the chain ends. Returns EINVALID for a cursor
// that was not made for this list.
func (s *Store) AuditEntries(ctx context.Context, orgID string, filter AuditFilter, cursor string, limit int) (casescribe.Page[audit.Entry], error) {
	last, err := decodeCursor(auditList, cursor, validAuditSeq)
	if err != nil {
		return casescribe.Page[audit.Entry]{}, err
	}
	limit = clampLimit(limit)
	b := expression.NewBuilder().WithKeyCondition(expression.Key("PK").Equal(expression.Value(orgPK(orgID))).
		And(expression.Key("SK").BeginsWith(auditPrefix)))
	var conds []expression.ConditionBuilder
	if filter.CaseID != "" {
		conds = append(conds, expression.Contains(expression.Name("caseIds"), filter.CaseID))
	}
	if filter.UserID != "" {
		conds = append(conds, expression.Contains(expression.Name("userIds"), filter.UserID))
	}
	if !filter.From.IsZero() {
		conds = append(conds, expression.Name("at").GreaterThanEqual(expression.Value(auditTime(filter.From))))
	}
	if !filter.To.IsZero() {
		conds = append(conds, expression.Name("at").LessThanEqual(expression.Value(auditTime(filter.To))))
	}
	switch len(conds) {
	case 0:
	case 1:
		b = b.WithFilter(conds[0])
	default:
		b = b.WithFilter(expression.And(conds[0], conds[1], conds[2:]...))
	}
	expr, err := b.Build()
	if err != nil {
		return casescribe.Page[audit.Entry]{}, fmt.Errorf("build audit query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: expr.KeyCondition(),
		FilterExpression: expr.Filter(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(MaxLimit))}
	if last != "" {
		in.ExclusiveStartKey = key(orgPK(orgID), auditPrefix+last)
	}
	page := casescribe.Page[audit.Entry]{Items: []audit.Entry{}}
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return page, convert("list audit entries", err)
		}
		for i, raw := range res.Items {
			var it auditItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return page, fmt.Errorf("decode audit entry: %w", err)
			}
			page.Items = append(page.Items, it.domain())
			if len(page.Items) == limit {
				if i < len(res.Items)-1 || res.LastEvaluatedKey != nil {
					page.NextCursor = encodeCursor(auditList, fmt.Sprintf("%0*d", auditSeqDigits, it.Seq))
				}
				return page, nil
			}
		}
		if res.LastEvaluatedKey == nil {
			return page, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// auditCatchUps bounds how often AuditChain reads on after entries appended while it read.
const auditCatchUps = 5

// AuditChain returns every entry of an organization's audit chain, oldest first, and its
// head, strongly consistent, for verification. The head is read after the entries (and the
// entries appended meanwhile read on), so that an intact chain being appended to is never
// reported broken.
func (s *Store) AuditChain(ctx context.Context, orgID string) ([]audit.Entry, audit.Head, error) {
	entries, err := s.auditEntriesAfter(ctx, orgID, 0)
	if err != nil {
		return nil, audit.Head{}, err
	}
	for range auditCatchUps {
		head, err := readAuditHead(ctx, s.db, s.table, orgID)
		if err != nil {
			return nil, audit.Head{}, err
		}
		var lastSeq int64
		if len(entries) > 0 {
			lastSeq = entries[len(entries)-1].Seq
		}
		if head.Seq <= lastSeq {
			return entries, head, nil
		}
		more, err := s.auditEntriesAfter(ctx, orgID, lastSeq)
		if err != nil {
			return nil, audit.Head{}, err
		}
		if len(more) == 0 {
			return entries, head, nil
		}
		entries = append(entries, more...)
	}
	head, err := readAuditHead(ctx, s.db, s.table, orgID)
	return entries, head, err
}

// auditEntriesAfter reads every entry of an organization's chain after seq, oldest first.
func (s *Store) auditEntriesAfter(ctx context.Context, orgID string, seq int64) ([]audit.Entry, error) {
	keyCond := expression.Key("PK").Equal(expression.Value(orgPK(orgID))).
		And(expression.Key("SK").Between(expression.Value(auditSK(seq+1)), expression.Value(auditSK(1e12-1))))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return nil, fmt.Errorf("build audit query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ConsistentRead: aws.Bool(true)}
	var out []audit.Entry
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, convert("read audit chain", err)
		}
		for _, raw := range res.Items {
			var it auditItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("decode audit entry: %w", err)
			}
			out = append(out, it.domain())
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
