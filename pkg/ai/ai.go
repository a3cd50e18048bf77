// Package ai is Ask AI's port: what the product asks of a language model (answer a question
// from given facts, suggest tags, group facts) and the local, deterministic implementation
// used by default locally and in tests. It never decides what a caller may see or do: the
// facts it is given are already exactly the caller's scope, and any action it proposes is
// carried out (or refused) by the caller's own permissions, elsewhere.
package ai

import (
	"context"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// Turn is one earlier exchange of a chat, as the asker may see it.
type Turn struct {
	Question string
	Answer   string
}

// Question is what a provider answers from.
type Question struct {
	Text string
	// Facts are the only material: exactly the facts the asker can see, at the moment of the
	// question.
	Facts []casescribe.Fact
	// History is the chat so far, already redacted to the asker's scope.
	History []Turn
	// CanAct says whether the asker may change the case (staff). Without it a provider offers
	// no action at all, and says so when asked for one.
	CanAct bool
}

// ActionKind names something the AI may propose to do.
type ActionKind string

// The actions Ask AI can propose.
const (
	CreateFact ActionKind = "create_fact" // record a new fact
	ApplyTag   ActionKind = "apply_tag"   // tag facts
)

// Action is a change the AI proposes; the API carries it out with the asker's permissions.
type Action struct {
	Kind ActionKind
	// Text and Date describe a fact to create.
	Text string
	Date string
	// Tag and FactIDs describe a tag to apply.
	Tag     string
	FactIDs []string
}

// Answer is a provider's reply.
type Answer struct {
	Text string
	// Citations are the ids of the facts the answer used; the API keeps only those among the
	// question's facts.
	Citations []string
	Actions   []Action
}

// TagSuggestion is the tags proposed for one fact.
type TagSuggestion struct {
	FactID string
	Tags   []string
}

// Group is a named group of facts.
type Group struct {
	Name    string
	FactIDs []string
}

// Provider answers questions and suggests tags and groups. Implementations return an error
// only when the model cannot be reached or answers nonsense; "nothing matches" is an answer.
type Provider interface {
	Answer(ctx context.Context, q Question) (Answer, error)
	SuggestTags(ctx context.Context, facts []casescribe.Fact) ([]TagSuggestion, error)
	Group(ctx context.Context, facts []casescribe.Fact) ([]Group, error)
}
