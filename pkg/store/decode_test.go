package store

import (
	"reflect"
	"testing"
	"time"

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
	}
	// An item of an unexpected shape is left to attributevalue, which says what is wrong.
	raw, _ := attributevalue.MarshalMap(newFactItem(facts[1]))
	raw["version"] = &types.AttributeValueMemberS{Value: "seven"}
	if _, err := decodeFact(raw); err == nil {
		t.Error("a fact whose version is text decoded without error")
	}
}
