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

// Case content lives in the case's own partition (ORG#<org>#CASE#<case>), read strongly
// consistent, so that a fact edited out of a shared view leaves a guest's very next list. Each
// fact, view and document also has a ref item in the organization partition, so that a route
// naming only its id (/facts/{factId}) finds its case in one read.

// refItem says which case (and client) an id of case content belongs to.
type refItem struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Type     string `dynamodbav:"type"`
	Kind     string `dynamodbav:"kind"`
	ID       string `dynamodbav:"id"`
	CaseID   string `dynamodbav:"caseId"`
	ClientID string `dynamodbav:"clientId"`
}

func newRefItem(orgID, kind, id, caseID, clientID string) refItem {
	return refItem{PK: orgPK(orgID), SK: refSK(id), Type: typeRef, Kind: kind, ID: id, CaseID: caseID, ClientID: clientID}
}

// factItem keeps tags as a map (tag -> true) so that one update can add some tags and remove
// others, on many facts at once, without reading them first.
type factItem struct {
	PK         string          `dynamodbav:"PK"`
	SK         string          `dynamodbav:"SK"`
	Type       string          `dynamodbav:"type"`
	OrgID      string          `dynamodbav:"orgId"`
	CaseID     string          `dynamodbav:"caseId"`
	ClientID   string          `dynamodbav:"clientId"`
	ID         string          `dynamodbav:"id"`
	Text       string          `dynamodbav:"text"`
	Date       string          `dynamodbav:"date"`
	Tags       map[string]bool `dynamodbav:"tags"`
	KeyFact    bool            `dynamodbav:"keyFact"`
	DocumentID string          `dynamodbav:"documentId"`
	Group      string          `dynamodbav:"group"`
	CreatedBy  string          `dynamodbav:"createdBy"`
	CreatedAt  time.Time       `dynamodbav:"createdAt"`
	UpdatedAt  time.Time       `dynamodbav:"updatedAt"`
	Version    int             `dynamodbav:"version"`
}

func newFactItem(f casescribe.Fact) factItem {
	tags := make(map[string]bool, len(f.Tags))
	for _, t := range f.Tags {
		tags[t] = true
	}
	return factItem{PK: casePK(f.OrgID, f.CaseID), SK: factSK(f.ID), Type: typeFact, OrgID: f.OrgID,
		CaseID: f.CaseID, ClientID: f.ClientID, ID: f.ID, Text: f.Text, Date: f.Date, Tags: tags,
		KeyFact: f.KeyFact, DocumentID: f.DocumentID, Group: f.Group, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt,
		UpdatedAt: f.UpdatedAt, Version: f.Version}
}

func (i factItem) domain() casescribe.Fact {
	tags := make([]string, 0, len(i.Tags))
	for t := range i.Tags {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	return casescribe.Fact{OrgID: i.OrgID, CaseID: i.CaseID, ClientID: i.ClientID, ID: i.ID,
		Text: i.Text, Date: i.Date, Tags: tags, KeyFact: i.KeyFact, DocumentID: i.DocumentID, Group: i.Group,
		CreatedBy: i.CreatedBy, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, Version: i.Version}
}

type filterValue struct {
	Tags    []string `dynamodbav:"tags"`
	KeyOnly bool     `dynamodbav:"keyOnly"`
	Query   string   `dynamodbav:"q"`
	From    string   `dynamodbav:"from"`
	To      string   `dynamodbav:"to"`
}

// viewItem counts the shares limited to it, so that deleting a view in use is refused by a
// condition, race-free.
type viewItem struct {
	PK         string      `dynamodbav:"PK"`
	SK         string      `dynamodbav:"SK"`
	Type       string      `dynamodbav:"type"`
	OrgID      string      `dynamodbav:"orgId"`
	CaseID     string      `dynamodbav:"caseId"`
	ClientID   string      `dynamodbav:"clientId"`
	ID         string      `dynamodbav:"id"`
	Name       string      `dynamodbav:"name"`
	Filter     filterValue `dynamodbav:"filter"`
	SortField  string      `dynamodbav:"sortField"`
	SortDesc   bool        `dynamodbav:"sortDesc"`
	CreatedBy  string      `dynamodbav:"createdBy"`
	CreatedAt  time.Time   `dynamodbav:"createdAt"`
	UpdatedAt  time.Time   `dynamodbav:"updatedAt"`
	ShareCount int         `dynamodbav:"shareCount"`
}

func newViewItem(v casescribe.SavedView) viewItem {
	return viewItem{PK: casePK(v.OrgID, v.CaseID), SK: viewSK(v.ID), Type: typeView, OrgID: v.OrgID,
		CaseID: v.CaseID, ClientID: v.ClientID, ID: v.ID, Name: v.Name, Filter: newFilterValue(v.Filter),
		SortField: string(v.Sort.Field), SortDesc: v.Sort.Desc, CreatedBy: v.CreatedBy,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, ShareCount: v.ShareCount}
}

func newFilterValue(f casescribe.FactFilter) filterValue {
	return filterValue{Tags: f.Tags, KeyOnly: f.KeyOnly, Query: f.Query, From: f.From, To: f.To}
}

func (i viewItem) domain() casescribe.SavedView {
	return casescribe.SavedView{OrgID: i.OrgID, CaseID: i.CaseID, ClientID: i.ClientID, ID: i.ID,
		Name: i.Name, Filter: casescribe.FactFilter{Tags: i.Filter.Tags, KeyOnly: i.Filter.KeyOnly,
			Query: i.Filter.Query, From: i.Filter.From, To: i.Filter.To},
		Sort:      casescribe.FactSort{Field: casescribe.SortField(i.SortField), Desc: i.SortDesc},
		CreatedBy: i.CreatedBy, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, ShareCount: i.ShareCount}
}

type commentItem struct {
	PK         string    `dynamodbav:"PK"`
	SK         string    `dynamodbav:"SK"`
	Type       string    `dynamodbav:"type"`
	OrgID      string    `dynamodbav:"orgId"`
	CaseID     string    `dynamodbav:"caseId"`
	FactID     string    `dynamodbav:"factId"`
	ID         string    `dynamodbav:"id"`
	Text       string    `dynamodbav:"text"`
	AuthorID   string    `dynamodbav:"authorId"`
	AuthorName string    `dynamodbav:"authorName"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
}

func newCommentItem(c casescribe.Comment) commentItem {
	return commentItem{PK: casePK(c.OrgID, c.CaseID), SK: commentSK(c.FactID, c.ID), Type: typeComment,
		OrgID: c.OrgID, CaseID: c.CaseID, FactID: c.FactID, ID: c.ID, Text: c.Text,
		AuthorID: c.AuthorID, AuthorName: c.AuthorName, CreatedAt: c.CreatedAt}
}

func (i commentItem) domain() casescribe.Comment {
	return casescribe.Comment{OrgID: i.OrgID, CaseID: i.CaseID, FactID: i.FactID, ID: i.ID,
		Text: i.Text, AuthorID: i.AuthorID, AuthorName: i.AuthorName, CreatedAt: i.CreatedAt}
}

type documentItem struct {
	PK           string    `dynamodbav:"PK"`
	SK           string    `dynamodbav:"SK"`
	Type         string    `dynamodbav:"type"`
	OrgID        string    `dynamodbav:"orgId"`
	CaseID       string    `dynamodbav:"caseId"`
	ClientID     string    `dynamodbav:"clientId"`
	ID           string    `dynamodbav:"id"`
	Name         string    `dynamodbav:"name"`
	ContentType  string    `dynamodbav:"contentType"`
	Size         int64     `dynamodbav:"size"`
	UploaderID   string    `dynamodbav:"uploaderId"`
	UploaderName string    `dynamodbav:"uploaderName"`
	CreatedAt    time.Time `dynamodbav:"createdAt"`
}

func newDocumentItem(d casescribe.Document) documentItem {
	return documentItem{PK: casePK(d.OrgID, d.CaseID), SK: documentSK(d.ID), Type: typeDocument,
		OrgID: d.OrgID, CaseID: d.CaseID, ClientID: d.ClientID, ID: d.ID, Name: d.Name,
		ContentType: d.ContentType, Size: d.Size, UploaderID: d.UploaderID,
		UploaderName: d.UploaderName, CreatedAt: d.CreatedAt}
}

func (i documentItem) domain() casescribe.Document {
	return casescribe.Document{OrgID: i.OrgID, CaseID: i.CaseID, ClientID: i.ClientID, ID: i.ID,
		Name: i.Name, ContentType: i.ContentType, Size: i.Size, UploaderID: i.UploaderID,
		UploaderName: i.UploaderName, CreatedAt: i.CreatedAt}
}

type summaryItem struct {
	PK            string    `dynamodbav:"PK"`
	SK            string    `dynamodbav:"SK"`
	Type          string    `dynamodbav:"type"`
	OrgID         string    `dynamodbav:"orgId"`
	CaseID        string    `dynamodbav:"caseId"`
	Text          string    `dynamodbav:"text"`
	UpdatedByID   string    `dynamodbav:"updatedById"`
	UpdatedByName string    `dynamodbav:"updatedByName"`
	UpdatedAt     time.Time `dynamodbav:"updatedAt"`
	Version       int       `dynamodbav:"version"`
}

func newSummaryItem(s casescribe.CaseSummary) summaryItem {
	return summaryItem{PK: casePK(s.OrgID, s.CaseID), SK: summarySK, Type: typeSummary, OrgID: s.OrgID,
		CaseID: s.CaseID, Text: s.Text, UpdatedByID: s.UpdatedByID, UpdatedByName: s.UpdatedByName,
		UpdatedAt: s.UpdatedAt, Version: s.Version}
}

func (i summaryItem) domain() casescribe.CaseSummary {
	return casescribe.CaseSummary{OrgID: i.OrgID, CaseID: i.CaseID, Text: i.Text,
		UpdatedByID: i.UpdatedByID, UpdatedByName: i.UpdatedByName, UpdatedAt: i.UpdatedAt, Version: i.Version}
}

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
