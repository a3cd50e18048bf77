package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB refuses a write that meets an item another transaction is writing at that moment:
// a transaction is cancelled with the reason TransactionConflict, a single-item write fails
// with TransactionConflictException. Either way nothing was written, and the write's
// conditions still describe the state it was built from, so sending it again is safe: it
// succeeds, or fails on a condition, which is the real answer. Such clashes are frequent on
// the items many changes share (a case's share count, a guest's grant, the organization's
// admin count) even when the changes do not contradict each other, so the store retries them
// a few times, with jittered backoff, before answering ECONFLICT (409: try again). A failed
// condition is never retried. The SDK already retries throttled single-item calls; a
// transaction cancelled for throttling is not retried by it, so it is retried here as well.

// writeAttempts bounds the tries of one write, the first included.
const writeAttempts = 4

// Backoff before retry n (1-based) is random in [0, min(retryCap, retryBase·2^(n-1))).
const (
	retryBase = 8 * time.Millisecond
	retryCap  = 100 * time.Millisecond
)

// retryingDB retries the writes of the DB it wraps that lost a race to another transaction.
// Reads pass through: they never conflict. BatchWriteItem passes through too: it reports
// conflicting or throttled items as unprocessed, which its callers send again.
type retryingDB struct {
	DB
}

func (r retryingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return retryWrite(ctx, func() (*dynamodb.PutItemOutput, error) { return r.DB.PutItem(ctx, in, opts...) })
}

func (r retryingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return retryWrite(ctx, func() (*dynamodb.UpdateItemOutput, error) { return r.DB.UpdateItem(ctx, in, opts...) })
}

// TransactWriteItems sends each try as a transaction of its own: the SDK writes the
// idempotency token it makes into the input it is given, and a try sent again with the token
// of a cancelled one could be answered as that one was.
func (r retryingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return retryWrite(ctx, func() (*dynamodb.TransactWriteItemsOutput, error) {
		try := *in
		return r.DB.TransactWriteItems(ctx, &try, opts...)
	})
}

// retryWrite calls write until it succeeds, fails for a reason other than a lost race, or has
// been tried writeAttempts times; it returns the last answer.
func retryWrite[T any](ctx context.Context, write func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		out, err := write()
		if err == nil || attempt == writeAttempts || !lostRace(err) || ctx.Err() != nil {
			return out, err
		}
		wait := time.NewTimer(rand.N(min(retryCap, retryBase<<(attempt-1))))
		select {
		case <-ctx.Done():
			wait.Stop()
			return out, err
		case <-wait.C:
		}
	}
}

// lostRace reports whether err is a write refused only because other writes held its items:
// a conflict, or a transaction cancelled for conflicts or throttling and nothing else.
func lostRace(err error) bool {
	var tc *types.TransactionConflictException
	if errors.As(err, &tc) {
		return true
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	transient := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None":
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
			transient = true
		default:
			// A failed condition, or a request DynamoDB will never accept: an answer.
			return false
		}
	}
	return transient
}
