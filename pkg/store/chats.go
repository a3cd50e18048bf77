package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// KindChat is the ref kind of a chat.
const KindChat = "chat"

type chatItem struct {
	PK            string    `dynamodbav:"PK"`
	SK            string    `dynamodbav:"SK"`
	Type          string    `dynamodbav:"type"`
	OrgID         string    `dynamodbav:"orgId"`
	CaseID        string    `dynamodbav:"caseId"`
	ClientID      string    `dynamodbav:"clientId"`
	ID            string    `dynamodbav:"id"`
	Title         string    `dynamodbav:"title"`
	CreatedBy     string    `dynamodbav:"createdBy"`
	CreatedByName string    `dynamodbav:"createdByName"`
	CreatedAt     time.Time `dynamodbav:"createdAt"`
}

func newChatItem(c casescribe.Chat) chatItem {
	return chatItem{PK: casePK(c.OrgID, c.CaseID), SK: chatSK(c.ID), Type: typeChat, OrgID: c.OrgID,
		CaseID: c.CaseID, ClientID: c.ClientID, ID: c.ID, Title: c.Title, CreatedBy: c.CreatedBy,
		CreatedByName: c.CreatedByName, CreatedAt: c.CreatedAt}
}

func (i chatItem) domain() casescribe.Chat {
	return casescribe.Chat{OrgID: i.OrgID, CaseID: i.CaseID, ClientID: i.ClientID, ID: i.ID, Title: i.Title,
		CreatedBy: i.CreatedBy, CreatedByName: i.CreatedByName, CreatedAt: i.CreatedAt}
}

type actionValue struct {
	Kind    string   `dynamodbav:"kind"`
	Status  string   `dynamodbav:"status"`
	Detail  string   `dynamodbav:"detail"`
	FactIDs []string `dynamodbav:"factIds,omitempty"`
	Tag     string   `dynamodbav:"tag,omitempty"`
}

// exchangeItem is one question and its answer, sorted under its chat by id (time).
type exchangeItem struct {
	PK         string        `dynamodbav:"PK"`
	SK         string        `dynamodbav:"SK"`
	Type       string        `dynamodbav:"type"`
	OrgID      string        `dynamodbav:"orgId"`
	CaseID     string        `dynamodbav:"caseId"`
	ChatID     string        `dynamodbav:"chatId"`
	ID         string        `dynamodbav:"id"`
	Question   string        `dynamodbav:"question"`
	AuthorID   string        `dynamodbav:"authorId"`
	AuthorName string        `dynamodbav:"authorName"`
	Answer     string        `dynamodbav:"answer"`
	Citations  []string      `dynamodbav:"citations,omitempty"`
	Actions    []actionValue `dynamodbav:"actions,omitempty"`
	AnsweredIn string        `dynamodbav:"answeredIn"`
	CreatedAt  time.Time     `dynamodbav:"createdAt"`
}

func newExchangeItem(e casescribe.Exchange) exchangeItem {
	it := exchangeItem{PK: casePK(e.OrgID, e.CaseID), SK: exchangeSK(e.ChatID, e.ID), Type: typeExchange,
		OrgID: e.OrgID, CaseID: e.CaseID, ChatID: e.ChatID, ID: e.ID, Question: e.Question,
		AuthorID: e.AuthorID, AuthorName: e.AuthorName, Answer: e.Answer, Citations: e.Citations,
		AnsweredIn: e.AnsweredIn, CreatedAt: e.CreatedAt}
	for _, a := range e.Actions {
		it.Actions = append(it.Actions, actionValue{Kind: a.Kind, Status: a.Status, Detail: a.Detail, FactIDs: a.FactIDs, Tag: a.Tag})
	}
	return it
}

func (i exchangeItem) domain() casescribe.Exchange {
	e := casescribe.Exchange{OrgID: i.OrgID, CaseID: i.CaseID, ChatID: i.ChatID, ID: i.ID, Question: i.Question,
		AuthorID: i.AuthorID, AuthorName: i.AuthorName, Answer: i.Answer, Citations: i.Citations,
		AnsweredIn: i.AnsweredIn, CreatedAt: i.CreatedAt}
	for _, a := range i.Actions {
		e.Actions = append(e.Actions, casescribe.ActionRecord{Kind: a.Kind, Status: a.Status, Detail: a.Detail, FactIDs: a.FactIDs, Tag: a.Tag})
	}
	return e
}

// CreateChat stores a new chat of a case. Returns ENOTFOUND if the case is gone.
func (s *Store) CreateChat(ctx context.Context, c casescribe.Chat) error {
	return s.createInCase(ctx, c.OrgID, c.CaseID, c.ClientID, KindChat, c.ID, newChatItem(c), nil, nil)
}

// GetChat returns one chat of a case. Returns ENOTFOUND if unknown.
func (s *Store) GetChat(ctx context.Context, orgID, caseID, chatID string) (casescribe.Chat, error) {
	var it chatItem
	if err := s.get(ctx, casePK(orgID, caseID), chatSK(chatID), "Chat", &it); err != nil {
		return casescribe.Chat{}, err
	}
	return it.domain(), nil
}

// CaseChats returns every chat of a case, oldest first.
func (s *Store) CaseChats(ctx context.Context, orgID, caseID string) ([]casescribe.Chat, error) {
	return queryAll[casescribe.Chat, chatItem](ctx, s, casePK(orgID, caseID), chatPrefix)
}

// ChatExchanges returns every exchange of a chat, oldest first.
func (s *Store) ChatExchanges(ctx context.Context, orgID, caseID, chatID string) ([]casescribe.Exchange, error) {
	return queryAll[casescribe.Exchange, exchangeItem](ctx, s, casePK(orgID, caseID), chatExchangesPrefix(chatID))
}

// RecordExchange stores an exchange together with what its actions change: facts created
// and tags applied (each fact still at the version the action was planned on), in one
// transaction, so that a chat never records an action that did not happen, nor the reverse.
// Returns ENOTFOUND if the chat or its case is gone and ECONFLICT if a fact changed meanwhile.
func (s *Store) RecordExchange(ctx context.Context, e casescribe.Exchange, clientID string, created []casescribe.Fact, tagged []FactEdit, now time.Time) error {
	cc, err := s.caseCheck(e.OrgID, e.CaseID, clientID)
	if err != nil {
		return err
	}
	chat, err := s.existsCheck(casePK(e.OrgID, e.CaseID), chatSK(e.ChatID))
	if err != nil {
		return err
	}
	put, err := s.put(newExchangeItem(e))
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{ConditionCheck: cc}, {ConditionCheck: chat}, {Put: put}}
	for _, f := range created {
		puts, err := s.puts(newFactItem(f), newRefItem(f.OrgID, KindFact, f.ID, f.CaseID, f.ClientID))
		if err != nil {
			return err
		}
		items = append(items, puts...)
	}
	for _, fe := range tagged {
		expr, err := expression.NewBuilder().WithUpdate(tagsUpdate(fe.Add, nil, now)).
			WithCondition(mustExist().And(expression.Name("version").Equal(expression.Value(fe.Version)))).Build()
		if err != nil {
			return fmt.Errorf("build update: %w", err)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key: key(casePK(e.OrgID, e.CaseID), factSK(fe.ID)), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues: expr.Values()}})
	}
	// Every answer is audited: its entry goes in this transaction too.
	if len(items) > maxTransactItems-auditTransactItems {
		return casescribe.Errorf(casescribe.EINVALID, "The answer's actions touch too many facts at once; ask for fewer.")
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	switch {
	case conditionFailed(err, 0):
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	case conditionFailed(err, 1):
		return casescribe.Errorf(casescribe.ENOTFOUND, "Chat not found.")
	case conditionFailed(err, -1):
		return casescribe.Errorf(casescribe.ECONFLICT, "The facts changed while the answer was written; ask again.")
	}
	return convert("record exchange", err)
}

// ApplyFactEdits applies edits to many facts of a case, each at the version it was planned
// on, in transactions of up to MaxBulkFacts facts: a case with more facts than one
// transaction holds is changed in parts, each all or nothing. Returns how many facts changed
// before an error.
func (s *Store) ApplyFactEdits(ctx context.Context, orgID, caseID string, edits []FactEdit, now time.Time) (int, error) {
	done := 0
	for len(edits) > 0 {
		n := min(len(edits), MaxBulkFacts)
		if err := s.BulkEditFacts(ctx, orgID, caseID, BulkEdit{Facts: edits[:n]}, now); err != nil {
			return done, err
		}
		done, edits = done+n, edits[n:]
	}
	return done, nil
}
