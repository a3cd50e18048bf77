package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
)

func cancelled(codes ...string) error {
	var reasons []types.CancellationReason
	for _, c := range codes {
		reasons = append(reasons, types.CancellationReason{Code: aws.String(c)})
	}
	return &types.TransactionCanceledException{CancellationReasons: reasons}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"condition failed", &types.ConditionalCheckFailedException{}, casescribe.ECONFLICT},
		{"wrapped condition failed", fmt.Errorf("op: %w", &types.ConditionalCheckFailedException{}), casescribe.ECONFLICT},
		{"transaction condition failed", cancelled("None", "ConditionalCheckFailed"), casescribe.ECONFLICT},
		{"transaction lost a race", cancelled("TransactionConflict", "None"), casescribe.ECONFLICT},
		{"transaction conflict exception", &types.TransactionConflictException{}, casescribe.ECONFLICT},
		{"transaction throttled", cancelled("ThrottlingError"), casescribe.EINTERNAL},
		{"missing table", &types.ResourceNotFoundException{}, casescribe.EINTERNAL},
		{"domain error passes through", casescribe.Errorf(casescribe.ENOTFOUND, "x"), casescribe.ENOTFOUND},
		{"other", errors.New("boom"), casescribe.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := casescribe.ErrorCode(convert("op", tt.err)); got != tt.want {
				t.Errorf("convert = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConditionFailedByIndex(t *testing.T) {
	err := cancelled("None", "ConditionalCheckFailed")
	tests := []struct {
		index int
		want  bool
	}{{-1, true}, {0, false}, {1, true}, {2, false}}
	for _, tt := range tests {
		if got := conditionFailed(err, tt.index); got != tt.want {
			t.Errorf("conditionFailed(index %d) = %v, want %v", tt.index, got, tt.want)
		}
	}
}

func TestCursor(t *testing.T) {
	const id = "01JD5X8Z3K9G7W2M4N6P8Q0R1S"
	c := encodeCursor("clients", id)
	if got, err := decodeCursor("clients", c, validULID); err != nil || got != id {
		t.Fatalf("decode = %q, %v; want %q", got, err, id)
	}
	if encodeCursor("clients", "") != "" {
		t.Error("a last page has no cursor")
	}
	bad := []struct{ name, list, cursor string }{
		{"other list", "cases", c},
		{"not base64", "clients", "%%%"},
		{"raw key", "clients", "ORG#x"},
		{"not an id", "clients", encodeCursor("clients", "ORG#1#CLIENT#2")},
	}
	for _, tt := range bad {
		if _, err := decodeCursor(tt.list, tt.cursor, validULID); casescribe.ErrorCode(err) != casescribe.EINVALID {
			t.Errorf("%s: err = %v, want invalid", tt.name, err)
		}
	}
	// Member lists page by user id (a Cognito sub).
	const sub = "5cbf1a9b-5e6f-476a-ae09-19f43a6ee9fd"
	if got, err := decodeCursor("members", encodeCursor("members", sub), ValidUserID); err != nil || got != sub {
		t.Errorf("members cursor = %q, %v", got, err)
	}
	if _, err := decodeCursor("members", encodeCursor("members", "ORG#x"), ValidUserID); casescribe.ErrorCode(err) != casescribe.EINVALID {
		t.Errorf("members cursor with a key: err = %v, want invalid", err)
	}
}

func TestIDFromKey(t *testing.T) {
	tests := []struct{ key, prefix, want string }{
		{"CASE#01J", casePrefix, "01J"},
		{"CLIENT#01J", casePrefix, ""},
		{"CASE#01J#X", casePrefix, ""},
		{"CASECASE#01J", casePrefix, ""},
	}
	for _, tt := range tests {
		if got := idFromKey(tt.key, tt.prefix); got != tt.want {
			t.Errorf("idFromKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
