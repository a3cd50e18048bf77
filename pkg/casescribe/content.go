package casescribe

import "time"

// Fact is one dated statement of a case, usually taken from one of its documents.
type Fact struct {
	OrgID    string
	CaseID   string
	ClientID string
	ID       string
	Text     string
	// Date is the day the fact happened, as YYYY-MM-DD; "" when unknown.
	Date    string
	Tags    []string
	KeyFact bool
	// DocumentID is the case document the fact comes from; "" for none.
	DocumentID string
	// Group is the group AI grouping put the fact in; "" for none.
	Group     string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts changes, for optimistic concurrency.
	Version int
}

// FactFilter selects facts. Its zero value selects every fact.
type FactFilter struct {
	// Tags are tags a fact must all carry (compared without regard to case).
	Tags []string
	// KeyOnly keeps key facts only (the Key Facts toggle).
	KeyOnly bool
	// Query is full-text search: every word must appear in the fact's text or tags.
	Query string
	// From and To bound the fact's date, inclusive, as YYYY-MM-DD; a fact without a date is
	// outside any range.
	From string
	To   string
}

// Empty reports whether f selects every fact.
func (f FactFilter) Empty() bool {
	return len(f.Tags) == 0 && !f.KeyOnly && f.Query == "" && f.From == "" && f.To == ""
}

// SortField is what facts are ordered by.
type SortField string

// The orders of a fact list.
const (
	SortByDate    SortField = "date"    // the fact's date; facts without one last
	SortByCreated SortField = "created" // when the fact was recorded
)

// FactSort orders facts. Its zero value is by date, oldest first.
type FactSort struct {
	Field SortField
	Desc  bool
}

// SavedView is a named filter and sort over the facts of one case. A share can limit a guest
// to one view: the guest then sees exactly the facts the view selects.
type SavedView struct {
	OrgID     string
	CaseID    string
	ClientID  string
	ID        string
	Name      string
	Filter    FactFilter
	Sort      FactSort
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// ShareCount counts the shares limited to this view; a view in use cannot be deleted.
	ShareCount int
}

// Comment is a remark on a fact, by a member or a guest who can see the fact.
type Comment struct {
	OrgID      string
	CaseID     string
	FactID     string
	ID         string
	Text       string
	AuthorID   string
	AuthorName string
	CreatedAt  time.Time
}

// Document is a file of a case. Its metadata is a record; its bytes are kept by the file
// store, reached only through short-lived signed URLs issued after an access check.
type Document struct {
	OrgID        string
	CaseID       string
	ClientID     string
	ID           string
	Name         string
	ContentType  string
	Size         int64
	UploaderID   string
	UploaderName string
	CreatedAt    time.Time
}

// FileKey is where the document's bytes are kept: organization first, like every key.
func (d Document) FileKey() string {
	return d.OrgID + "/" + d.CaseID + "/" + d.ID
}

// CaseSummary is the narrative summary of a case: read by everyone who sees the case, written
// by staff.
type CaseSummary struct {
	OrgID         string
	CaseID        string
	Text          string
	UpdatedByID   string
	UpdatedByName string
	UpdatedAt     time.Time
	// Version counts changes; 0 before the first write.
	Version int
}

// SignedURL is a short-lived URL that lets its holder move one file's bytes directly to or from
// the file store, without passing through the API.
type SignedURL struct {
	Method string
	URL    string
	// Header holds the headers the request must carry for the signature to match.
	Header    map[string]string
	ExpiresAt time.Time
}

// Chat is an Ask AI conversation on a case. Staff see every chat of the case; a guest sees
// the chats its share lists and the chats it started itself.
type Chat struct {
	OrgID         string
	CaseID        string
	ClientID      string
	ID            string
	Title         string
	CreatedBy     string
	CreatedByName string
	CreatedAt     time.Time
}

// Exchange is one question asked in a chat and the answer given, with the actions the answer
// carried out or refused.
type Exchange struct {
	OrgID      string
	CaseID     string
	ChatID     string
	ID         string
	Question   string
	AuthorID   string
	AuthorName string
	Answer     string
	// Citations are the facts the answer used, all within the asker's scope at the time.
	Citations []string
	Actions   []ActionRecord
	// AnsweredIn is the scope the answer was drawn from: "case" for the whole case, or
	// "view:<viewId>" for one saved view; a guest with a narrower scope never reads it.
	AnsweredIn string
	CreatedAt  time.Time
}

// ActionRecord is what became of an action an answer proposed.
type ActionRecord struct {
	Kind string
	// Status is done, or refused (the asker may not do it), or invalid.
	Status string
	Detail string
	// FactIDs are the facts created or tagged.
	FactIDs []string
	Tag     string
}

// Statuses of an ActionRecord.
const (
	ActionDone    = "done"
	ActionRefused = "refused"
	ActionInvalid = "invalid"
)
