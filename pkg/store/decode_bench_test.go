package store

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
