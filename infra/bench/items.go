package main

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// itemCounter counts the items DynamoDB says it read for the calls of the clients it is
// installed in: a count noise cannot move, to set beside times that it can. The zero value is
// ready to use; it is safe for concurrent use.
type itemCounter struct{ n atomic.Int64 }

// Options installs the counter in a DynamoDB client: pass it to dynamodb.New.
func (c *itemCounter) Options(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchItemsRead",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					c.n.Add(itemsRead(out.Result))
				}
				return out, md, err
			}), middleware.After)
	})
}

// Take returns the items counted since the last Take and starts again from zero.
func (c *itemCounter) Take() int { return int(c.n.Swap(0)) }

// itemsRead is how many items a call's answer says DynamoDB read: the items a Query or Scan
// examined (ScannedCount, before any filter), the item of a GetItem that found one, the items
// a BatchGetItem returned. Writes read nothing here.
func itemsRead(result any) int64 {
	switch r := result.(type) {
	case *dynamodb.GetItemOutput:
		if r.Item != nil {
			return 1
		}
	case *dynamodb.QueryOutput:
		return int64(r.ScannedCount)
	case *dynamodb.ScanOutput:
		return int64(r.ScannedCount)
	case *dynamodb.BatchGetItemOutput:
		var n int64
		for _, items := range r.Responses {
			n += int64(len(items))
		}
		return n
	}
	return 0
}
