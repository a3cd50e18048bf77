package store

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// conditionFailed reports whether err is a failed condition: of a single write, or of the
// transaction item at index (any item when index < 0).
func conditionFailed(err error, index int) bool {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for i, r := range tce.CancellationReasons {
		if (index < 0 || i == index) && r.Code != nil && *r.Code == "ConditionalCheckFailed" {
			return true
		}
	}
	return false
}

// convert is the one mapping of SDK errors to domain errors. A failed condition is a conflict,
// a transaction that lost a race to another one is a conflict the client may retry, and
// anything else stays an internal error (its text is logged at the edge, never shown).
func convert(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *casescribe.Error
	if errors.As(err, &ce) {
		return err
	}
	if conditionFailed(err, -1) {
		return fmt.Errorf("%s: %w", op, casescribe.Errorf(casescribe.ECONFLICT, "The change conflicts with the current state; reload and try again."))
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if r.Code != nil && *r.Code == "TransactionConflict" {
				return fmt.Errorf("%s: %w", op, casescribe.Errorf(casescribe.ECONFLICT, "Another change was being made at the same time; try again."))
			}
		}
	}
	var tc *types.TransactionConflictException
	if errors.As(err, &tc) {
		return fmt.Errorf("%s: %w", op, casescribe.Errorf(casescribe.ECONFLICT, "Another change was being made at the same time; try again."))
	}
	return fmt.Errorf("%s: %w", op, err)
}
