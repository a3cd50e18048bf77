package store

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
//
// Tags match without regard to case, which no DynamoDB condition can do on the map's keys, so
// a fact item also carries a tag index that lets a Query leave out, in DynamoDB, the facts a
// filter's tags exclude: one string set per tag key (see tagKey), named tagIndexPrefix+key,
// holding the fact's tags of that key as they are spelled. Sets, because an update can add
// and delete one element of a top-level set without reading the item: removing "Imaging"
// leaves the key's set, and so the key, in place while "imaging" is still there. An item
// whose index is whole (written in full since the index exists) also carries tagIndexMarker;
// one without it (older, or only updated since) may lack keys, so a filter must not exclude
// it on its tags.
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

// Names of the tag index's attributes.
const (
	tagIndexPrefix = "tag#"
	tagIndexMarker = "tagIndex"
)

// MarshalDynamoDBAttributeValue writes the item with its tag index, whole and marked so: every
// write of a whole fact item, new or replacing one, goes through here.
func (i factItem) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	type plain factItem // without this method
	av, err := attributevalue.Marshal(plain(i))
	if err != nil {
		return nil, err
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, errors.New("encode fact: not a map")
	}
	for key, spellings := range tagIndex(slices.Collect(maps.Keys(i.Tags))) {
		m.Value[tagIndexPrefix+key] = &types.AttributeValueMemberSS{Value: spellings}
	}
	m.Value[tagIndexMarker] = &types.AttributeValueMemberN{Value: "1"}
	return m, nil
}

// tagIndex groups tags by key, each group sorted.
func tagIndex(tags []string) map[string][]string {
	out := make(map[string][]string, len(tags))
	for _, t := range tags {
		k := tagKey(t)
		if !slices.Contains(out[k], t) {
			out[k] = append(out[k], t)
		}
	}
	for _, group := range out {
		slices.Sort(group)
	}
	return out
}

// tagKey is the one spelling of the tags that match t (strings.EqualFold, as filters match
// tags), so that two tags match exactly when their keys are equal: each character replaced by
// one chosen among its case variants (unicode.SimpleFold), the same whichever variant it is.
// strings.ToLower would not do: "ſ" and "s" match but their lower cases differ, and "İ" and
// "i" do not match but share a lower case.
func tagKey(t string) string {
	ascii := true
	for i := 0; i < len(t); i++ {
		if t[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(t) // what foldRune gives every ASCII character
	}
	var b strings.Builder
	b.Grow(len(t))
	for _, r := range t {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune is the case variant of r that stands for all of them: the lower case of the least
// when that is one of them (so that an ASCII letter stands as its lower case), else the least.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	lower := unicode.ToLower(least)
	for f := unicode.SimpleFold(least); lower != least; f = unicode.SimpleFold(f) {
		if f == lower {
			return lower
		}
		if f == least {
			break
		}
	}
	return least
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
