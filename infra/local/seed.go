package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// demoPassword is the password of every seeded account. These accounts exist only in the
// local cognito-local pool.
const demoPassword = "CaseScribe-demo-2026"

// account is a seeded login, as written to .local/stack.json.
type account struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	UserID   string `json:"userId"`
	// Roles maps organization names to this login's role there.
	Roles map[string]casescribe.Role `json:"roles"`
}

// demoOrg is a seeded organization.
type demoOrg struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Clients map[string][]string `json:"-"`
}

type demo struct {
	Accounts      []*account `json:"accounts"`
	Organizations []*demoOrg `json:"organizations"`
	// knee is what seedChats needs of "Knee MRI", whose chats are seeded once the API serves.
	knee kneeSeed
}

// pendingInvitee is invited by the seed through the API itself, so that its email waits in
// aws-ses-v2-local's inbox; the person has no login yet.
const pendingInvitee = "erin@cocounsel.example"

// invitePending sends the demo's pending invitation as the first firm's admin, through the
// same handler and authorizer a client reaches.
func invitePending(ctx context.Context, h http.Handler, cog *cip.Client, clientID string, d *demo) error {
	admin, org := d.Accounts[0], d.Organizations[0]
	token, err := idToken(ctx, cog, clientID, admin)
	if err != nil {
		return fmt.Errorf("seed invitation: %w", err)
	}
	body := `{"email":"` + pendingInvitee + `","name":"Erin Cole","role":"guest"}`
	if err := call(ctx, h, token, org.ID, http.MethodPost, "/invitations", body, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("seed invitation: %w", err)
	}
	return nil
}

// idToken signs a demo account in through cognito-local and returns its ID token.
func idToken(ctx context.Context, cog *cip.Client, clientID string, a *account) (string, error) {
	token, _, err := localstack.SignIn(ctx, cog, clientID, a.Email, a.Password)
	return token, err
}

// call sends one request to h as the holder of token in organization orgID, checks that it
// answers want, and decodes the answer into out unless out is nil.
func call(ctx context.Context, h http.Handler, token, orgID, method, path, body string, want int, out any) error {
	req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Org-Id", orgID)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		return fmt.Errorf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// seed creates the demo logins in Cognito and the demo firms in the table: a firm with an
// admin and a member, and a second firm where the same admin login is a guest. The first
// firm's case "Knee MRI" gets content (see seedKneeMRI), and its documents' bytes go to bucket
// through files. Its chats, and the share of the guest limited to a view, need the API: see
// seedChats.
func seed(ctx context.Context, st *store.Store, cog *cip.Client, poolID string, files *s3.Client, bucket string) (*demo, error) {
	alice := &account{Email: "alice@harborvale.example", Name: "Alice Harbor"}
	bob := &account{Email: "bob@harborvale.example", Name: "Bob Vale"}
	carol := &account{Email: "carol@northside.example", Name: "Carol North"}
	dan := &account{Email: "dan@expertmed.example", Name: "Dan Expert"}
	fiona := &account{Email: fionaEmail, Name: "Fiona Reyes"}
	gus := &account{Email: gusEmail, Name: "Gus Ward"}
	d := &demo{Accounts: []*account{alice, bob, carol, dan, fiona, gus}}
	for _, a := range d.Accounts {
		sub, err := localstack.CreateUser(ctx, cog, poolID, a.Email, demoPassword)
		if err != nil {
			return nil, fmt.Errorf("seed user %s: %w", a.Email, err)
		}
		a.UserID, a.Password, a.Roles = sub, demoPassword, map[string]casescribe.Role{}
	}

	firms := []struct {
		org     *demoOrg
		founder *account
		others  map[*account]casescribe.Role
		clients []struct {
			name  string
			cases []string
		}
	}{
		{
			org: &demoOrg{Name: "Harbor & Vale LLP"}, founder: alice,
			others: map[*account]casescribe.Role{bob: casescribe.RoleMember, dan: casescribe.RoleGuest,
				fiona: casescribe.RoleGuest, gus: casescribe.RoleGuest},
			clients: []struct {
				name  string
				cases []string
			}{
				{"Smith, John", []string{"Knee MRI", "Back injury"}},
				{"Doe, Jane", []string{"Car accident"}},
			},
		},
		{
			org: &demoOrg{Name: "Northside Medical Law"}, founder: carol,
			others: map[*account]casescribe.Role{alice: casescribe.RoleGuest},
			clients: []struct {
				name  string
				cases []string
			}{
				{"Garcia, Maria", []string{"Hip replacement"}},
			},
		},
	}
	now := time.Now().UTC()
	var knee casescribe.Case
	for _, f := range firms {
		f.org.ID = ulid.Make().String()
		org := casescribe.Organization{ID: f.org.ID, Name: f.org.Name, CreatedAt: now, CreatedBy: f.founder.UserID}
		if err := st.CreateOrganization(ctx, org, casescribe.User{ID: f.founder.UserID, Email: f.founder.Email, Name: f.founder.Name}); err != nil {
			return nil, fmt.Errorf("seed %s: %w", f.org.Name, err)
		}
		f.founder.Roles[f.org.Name] = casescribe.RoleAdmin
		for a, role := range f.others {
			m := casescribe.Membership{OrgID: org.ID, OrgName: org.Name, UserID: a.UserID, Email: a.Email,
				Name: a.Name, Role: role, Status: casescribe.StatusActive, CreatedAt: now}
			if err := st.PutMembership(ctx, m); err != nil {
				return nil, fmt.Errorf("seed membership in %s: %w", f.org.Name, err)
			}
			a.Roles[f.org.Name] = role
		}
		for _, c := range f.clients {
			client := casescribe.Client{OrgID: org.ID, ID: ulid.Make().String(), Name: c.name, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateClient(ctx, client); err != nil {
				return nil, fmt.Errorf("seed client: %w", err)
			}
			for _, name := range c.cases {
				k := casescribe.Case{OrgID: org.ID, ID: ulid.Make().String(), ClientID: client.ID, Name: name, CreatedAt: now, UpdatedAt: now}
				if err := st.CreateCase(ctx, k); err != nil {
					return nil, fmt.Errorf("seed case: %w", err)
				}
				if f.org.Name == "Harbor & Vale LLP" && name == "Knee MRI" {
					knee = k
				}
			}
		}
		d.Organizations = append(d.Organizations, f.org)
	}
	people := kneePeople{admin: alice, member: bob, coCounsel: fiona, expert: gus}
	imagingID, err := seedKneeMRI(ctx, st, files, bucket, knee, people, now)
	if err != nil {
		return nil, fmt.Errorf("seed Knee MRI: %w", err)
	}
	d.knee = kneeSeed{kase: knee, people: people, imagingID: imagingID}
	return d, nil
}

// The two guests of "Knee MRI": one sees the whole case, the other one saved view of it.
const (
	fionaEmail = "fiona@reyescounsel.example" // co-counsel: the whole case
	gusEmail   = "gus@wardmedical.example"    // medical expert: the view "Imaging" only
)

// demoDocument is a document of "Knee MRI". Its bytes are a few lines of text behind a PDF
// header: enough for a download to show that the right file came back.
type demoDocument struct {
	ref, name, text string
}

// bytes is what the bucket holds for the document.
func (d demoDocument) bytes() []byte {
	return []byte("%PDF-1.4\n% CaseScribe demo document (text, not a real PDF)\n" + d.text + "\n%%EOF\n")
}

// kneeDocuments are the documents of "Knee MRI"; only the MRI report is cited by a fact of the
// view "Imaging", so it is the only one Gus can list or download.
var kneeDocuments = []demoDocument{
	{"report", "MRI report - right knee.pdf", "MRI right knee, 2025-01-28: complex tear of the posterior horn of the medial meniscus; moderate joint effusion."},
	{"consult", "Orthopedic consult notes.pdf", "Orthopedic consult, 2025-02-04: mechanical symptoms, positive McMurray test; arthroscopic partial meniscectomy recommended."},
	{"invoice", "Harbor Imaging invoice.pdf", "Harbor Imaging, invoice 2025-0211: MRI right knee without contrast, 2,450.00 USD."},
}

// demoFact is a fact of "Knee MRI"; ref names it for comments, doc the document it cites.
type demoFact struct {
	ref, date, text string
	tags            []string
	key             bool
	doc             string
}

// kneeFacts are the facts of "Knee MRI", in the order they are recorded.
var kneeFacts = []demoFact{
	{"fall", "2025-01-14", "Slipped on a wet floor at work and felt a pop in the right knee; swelling within the hour.", []string{"symptoms"}, true, ""},
	{"xray", "2025-01-16", "Urgent care: right knee swollen, cannot bear full weight; X-ray shows no fracture.", []string{"imaging", "symptoms"}, false, ""},
	{"mri", "2025-01-28", "MRI of the right knee: complex tear of the medial meniscus, moderate joint effusion.", []string{"imaging"}, true, "report"},
	{"invoice", "2025-02-03", "Harbor Imaging billed 2,450 USD for the MRI.", []string{"billing"}, false, "invoice"},
	{"consult", "2025-02-04", "Orthopedic surgeon recommends arthroscopic partial meniscectomy.", []string{"treatment"}, true, "consult"},
	{"locking", "2025-02-20", "Knee locks on stairs about twice a week; pain 6/10.", []string{"symptoms"}, false, ""},
	{"surgery", "2025-03-10", "Arthroscopic partial medial meniscectomy at Harbor General.", []string{"treatment"}, true, ""},
	{"followup", "2025-04-22", "Follow-up MRI: post-surgical changes, no new tear.", []string{"imaging"}, false, ""},
	{"therapy", "", "Physical therapy twice a week since surgery; range of motion improving.", []string{"treatment"}, false, ""},
}

// kneePeople are the accounts the content of "Knee MRI" involves.
type kneePeople struct {
	admin, member, coCounsel, expert *account
}

// seedKneeMRI gives case k facts, documents (records and bytes), two saved views, comments and
// a summary, shares the whole case with the co-counsel, and returns the id of the view
// "Imaging". The medical expert's share, limited to that view, waits for the chats it carries
// (seedChats): a share can list only chats that exist.
func seedKneeMRI(ctx context.Context, st *store.Store, files *s3.Client, bucket string, k casescribe.Case, p kneePeople, now time.Time) (string, error) {
	docIDs := map[string]string{}
	for _, dd := range kneeDocuments {
		data := dd.bytes()
		doc := casescribe.Document{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(),
			Name: dd.name, ContentType: "application/pdf", Size: int64(len(data)),
			UploaderID: p.member.UserID, UploaderName: p.member.Name, CreatedAt: now}
		if _, err := files.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(doc.FileKey()),
			Body: bytes.NewReader(data), ContentType: aws.String(doc.ContentType)}); err != nil {
			return "", fmt.Errorf("document %s: %w", dd.name, err)
		}
		if err := st.CreateDocument(ctx, doc); err != nil {
			return "", fmt.Errorf("document %s: %w", dd.name, err)
		}
		docIDs[dd.ref] = doc.ID
	}

	factIDs := map[string]string{}
	for _, df := range kneeFacts {
		f := casescribe.Fact{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(),
			Text: df.text, Date: df.date, Tags: df.tags, KeyFact: df.key, DocumentID: docIDs[df.doc],
			CreatedBy: p.member.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := st.CreateFact(ctx, f); err != nil {
			return "", fmt.Errorf("fact %s: %w", df.ref, err)
		}
		factIDs[df.ref] = f.ID
	}

	views := []casescribe.SavedView{
		{Name: "Imaging", Filter: casescribe.FactFilter{Tags: []string{"imaging"}},
			Sort: casescribe.FactSort{Field: casescribe.SortByDate, Desc: true}},
		{Name: "Key facts", Filter: casescribe.FactFilter{KeyOnly: true},
			Sort: casescribe.FactSort{Field: casescribe.SortByDate}},
	}
	for i := range views {
		v := &views[i]
		v.OrgID, v.CaseID, v.ClientID, v.ID = k.OrgID, k.ID, k.ClientID, ulid.Make().String()
		v.CreatedBy, v.CreatedAt, v.UpdatedAt = p.admin.UserID, now, now
		if err := st.CreateView(ctx, *v); err != nil {
			return "", fmt.Errorf("view %s: %w", v.Name, err)
		}
	}
	imaging := views[0]

	comments := []struct {
		fact   string
		author *account
		text   string
	}{
		{"mri", p.admin, "Gus, please confirm the tear is acute and consistent with the fall on 2025-01-14."},
		{"mri", p.member, "Radiology report attached; the films are on request from Harbor Imaging."},
		{"invoice", p.member, "Paid by the client's health plan; lien notice expected."},
		{"surgery", p.admin, "Operative report still to be requested from Harbor General."},
	}
	for _, c := range comments {
		cm := casescribe.Comment{OrgID: k.OrgID, CaseID: k.ID, FactID: factIDs[c.fact], ID: ulid.Make().String(),
			Text: c.text, AuthorID: c.author.UserID, AuthorName: c.author.Name, CreatedAt: now}
		if err := st.CreateComment(ctx, cm, 1); err != nil {
			return "", fmt.Errorf("comment on %s: %w", c.fact, err)
		}
	}

	summary := casescribe.CaseSummary{OrgID: k.OrgID, CaseID: k.ID, UpdatedByID: p.admin.UserID,
		UpdatedByName: p.admin.Name, UpdatedAt: now, Version: 1,
		Text: "John Smith slipped at work on 2025-01-14 and injured his right knee. The MRI of 2025-01-28 " +
			"shows a complex medial meniscus tear; he had an arthroscopic partial meniscectomy on 2025-03-10 " +
			"and is in physical therapy. Open: causation opinion (Gus Ward), operative report, medical lien."}
	if err := st.PutSummary(ctx, summary, k.ClientID, 0); err != nil {
		return "", fmt.Errorf("summary: %w", err)
	}

	sh := casescribe.Share{OrgID: k.OrgID, ID: ulid.Make().String(), GuestID: p.coCounsel.UserID, GuestName: p.coCounsel.Name,
		GuestEmail: p.coCounsel.Email, Scope: casescribe.ScopeCase, ClientID: k.ClientID, CaseID: k.ID,
		Version: 1, CreatedBy: p.admin.UserID, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateShare(ctx, sh); err != nil {
		return "", fmt.Errorf("share with %s: %w", p.coCounsel.Email, err)
	}
	return imaging.ID, nil
}

// kneeSeed is what seedChats needs of "Knee MRI".
type kneeSeed struct {
	kase      casescribe.Case
	people    kneePeople
	imagingID string
}

// demoChat is an Ask AI chat of "Knee MRI", started by the member Bob, with its questions.
type demoChat struct {
	title string
	asks  []demoAsk
	// shared says the chat goes on the medical expert's share.
	shared bool
}

// demoAsk is a question asked in a chat by the staff account of role asker.
type demoAsk struct {
	asker casescribe.Role
	text  string
}

// The chats of "Knee MRI". Every answer in them is drawn from the whole case, as staff see it,
// so Gus, limited to the view "Imaging", reads the questions of the shared chat but not its
// answers, even Alice's, which quotes only a fact of his view.
const (
	sharedChatTitle = "Imaging review"
	staffChatTitle  = "Billing"
	// sharedQuestion's answer quotes the MRI, the invoice and the follow-up MRI.
	sharedQuestion = "What did the MRI show and what did it cost?"
)

var kneeChats = []demoChat{
	{title: sharedChatTitle, shared: true, asks: []demoAsk{
		{casescribe.RoleMember, sharedQuestion},
		{casescribe.RoleAdmin, "Was there a fracture?"},
	}},
	{title: staffChatTitle, asks: []demoAsk{
		{casescribe.RoleMember, "What has been billed so far?"},
	}},
}

// seedChats starts the chats of "Knee MRI" and asks their questions through the API, as Bob
// and Alice, so that the recorded answers are the real local answerer's; then shares the case
// with Gus, limited to the view "Imaging" and carrying the shared chat, through the API too.
func seedChats(ctx context.Context, h http.Handler, cog *cip.Client, clientID string, d *demo) error {
	org, k, p := d.Organizations[0], d.knee.kase, d.knee.people
	tokens := map[casescribe.Role]string{}
	for role, a := range map[casescribe.Role]*account{casescribe.RoleAdmin: p.admin, casescribe.RoleMember: p.member} {
		token, err := idToken(ctx, cog, clientID, a)
		if err != nil {
			return fmt.Errorf("seed chats: %w", err)
		}
		tokens[role] = token
	}
	var shared []string
	for _, dc := range kneeChats {
		var chat struct {
			ID string `json:"id"`
		}
		if err := call(ctx, h, tokens[casescribe.RoleMember], org.ID, http.MethodPost, "/cases/"+k.ID+"/chats",
			`{"title":`+jsonString(dc.title)+`}`, http.StatusCreated, &chat); err != nil {
			return fmt.Errorf("seed chat %s: %w", dc.title, err)
		}
		for _, q := range dc.asks {
			if err := call(ctx, h, tokens[q.asker], org.ID, http.MethodPost, "/chats/"+chat.ID+"/messages",
				`{"text":`+jsonString(q.text)+`}`, http.StatusCreated, nil); err != nil {
				return fmt.Errorf("seed chat %s: %w", dc.title, err)
			}
		}
		if dc.shared {
			shared = append(shared, chat.ID)
		}
	}
	// An expert's engagement is time-boxed: Gus's access ends 30 days after the stack starts
	// (make sweep -at shows the warning three days before, and the end).
	body, err := json.Marshal(map[string]any{"guestId": p.expert.UserID, "scope": casescribe.ScopeCase,
		"viewId": d.knee.imagingID, "chatIds": shared, "expiresAt": time.Now().UTC().AddDate(0, 0, demoExpertDays).Truncate(time.Second)})
	if err != nil {
		return fmt.Errorf("share with %s: %w", p.expert.Email, err)
	}
	if err := call(ctx, h, tokens[casescribe.RoleAdmin], org.ID, http.MethodPost, "/cases/"+k.ID+"/shares", string(body), http.StatusCreated, nil); err != nil {
		return fmt.Errorf("share with %s: %w", p.expert.Email, err)
	}
	return nil
}

// demoExpertDays is how long the demo expert's share lasts.
const demoExpertDays = 30

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}
