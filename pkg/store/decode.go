package store

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// factAttributes are the attributes of a fact item that make the fact: what a list of facts
// asks DynamoDB for. The keys, the type and the tag index are left on the server, so that the
// SDK, whose decoding of a Query's answer is most of a list's own time, does not decode them.
var factAttributes = []string{"orgId", "caseId", "clientId", "id", "text", "date", "tags", "keyFact",
	"documentId", "group", "createdBy", "createdAt", "updatedAt", "version"}

// decodeFact decodes a stored fact item as factItem.domain would after attributevalue, without
// reflection; an item of an unexpected shape goes through attributevalue instead.
func decodeFact(raw map[string]types.AttributeValue) (casescribe.Fact, error) {
	var f casescribe.Fact
	fallback := func() (casescribe.Fact, error) {
		var it factItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return casescribe.Fact{}, fmt.Errorf("decode fact: %w", err)
		}
		return it.domain(), nil
	}
	for name, av := range raw {
		var dst *string
		switch name {
		case "orgId":
			dst = &f.OrgID
		case "caseId":
			dst = &f.CaseID
		case "clientId":
			dst = &f.ClientID
		case "id":
			dst = &f.ID
		case "text":
			dst = &f.Text
		case "date":
			dst = &f.Date
		case "documentId":
			dst = &f.DocumentID
		case "group":
			dst = &f.Group
		case "createdBy":
			dst = &f.CreatedBy
		case "createdAt", "updatedAt":
			v, ok := av.(*types.AttributeValueMemberS)
			if !ok {
				return fallback()
			}
			t, err := time.Parse(time.RFC3339, v.Value)
			if err != nil {
				return fallback()
			}
			if name == "createdAt" {
				f.CreatedAt = t
			} else {
				f.UpdatedAt = t
			}
		case "keyFact":
			v, ok := av.(*types.AttributeValueMemberBOOL)
			if !ok {
				return fallback()
			}
			f.KeyFact = v.Value
		case "version":
			v, ok := av.(*types.AttributeValueMemberN)
			if !ok {
				return fallback()
			}
			n, err := strconv.Atoi(v.Value)
			if err != nil {
				return fallback()
			}
			f.Version = n
		case "tags":
			v, ok := av.(*types.AttributeValueMemberM)
			if !ok {
				return fallback()
			}
			f.Tags = make([]string, 0, len(v.Value))
			for t := range v.Value {
				f.Tags = append(f.Tags, t)
			}
			slices.Sort(f.Tags)
		}
		if dst != nil {
			v, ok := av.(*types.AttributeValueMemberS)
			if !ok {
				return fallback()
			}
			*dst = v.Value
		}
	}
	if f.Tags == nil {
		f.Tags = []string{}
	}
	return f, nil
}
