package main

import (
	"bytes"
	"context"
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
}

// pendingInvitee is invited by the seed through the API itself, so that its email waits in
// aws-ses-v2-local's inbox; the person has no login yet.
const pendingInvitee = "erin@cocounsel.example"

// invitePending sends the demo's pending invitation as the first firm's admin, through the
// same handler and authorizer a client reaches.
func invitePending(ctx context.Context, h http.Handler, cog *cip.Client, clientID string, d *demo) error {
	admin, org := d.Accounts[0], d.Organizations[0]
	token, _, err := localstack.SignIn(ctx, cog, clientID, admin.Email, admin.Password)
	if err != nil {
		return fmt.Errorf("seed invitation: %w", err)
	}
	body := `{"email":"` + pendingInvitee + `","name":"Erin Cole","role":"guest"}`
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/invitations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Org-Id", org.ID)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		return fmt.Errorf("seed invitation: %d %s", rec.Code, rec.Body.String())
	}
	return nil
}

// seed creates the demo logins in Cognito and the demo firms in the table: a firm with an
// admin and a member, and a second firm where the same admin login is a guest. The first
// firm's case "Knee MRI" gets content, shared with two guests who see it differently (see
// seedKneeMRI); its documents' bytes go to bucket through files.
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
	if err := seedKneeMRI(ctx, st, files, bucket, knee, people, now); err != nil {
		return nil, fmt.Errorf("seed Knee MRI: %w", err)
	}
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
// a summary, then shares it with two guests: the co-counsel the whole case, the medical expert
// only the view "Imaging". Each view is created before any share names it: the store counts
// the shares of a view, and refuses a share of a view that does not exist.
func seedKneeMRI(ctx context.Context, st *store.Store, files *s3.Client, bucket string, k casescribe.Case, p kneePeople, now time.Time) error {
	docIDs := map[string]string{}
	for _, dd := range kneeDocuments {
		data := dd.bytes()
		doc := casescribe.Document{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(),
			Name: dd.name, ContentType: "application/pdf", Size: int64(len(data)),
			UploaderID: p.member.UserID, UploaderName: p.member.Name, CreatedAt: now}
		if _, err := files.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(doc.FileKey()),
			Body: bytes.NewReader(data), ContentType: aws.String(doc.ContentType)}); err != nil {
			return fmt.Errorf("document %s: %w", dd.name, err)
		}
		if err := st.CreateDocument(ctx, doc); err != nil {
			return fmt.Errorf("document %s: %w", dd.name, err)
		}
		docIDs[dd.ref] = doc.ID
	}

	factIDs := map[string]string{}
	for _, df := range kneeFacts {
		f := casescribe.Fact{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(),
			Text: df.text, Date: df.date, Tags: df.tags, KeyFact: df.key, DocumentID: docIDs[df.doc],
			CreatedBy: p.member.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := st.CreateFact(ctx, f); err != nil {
			return fmt.Errorf("fact %s: %w", df.ref, err)
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
			return fmt.Errorf("view %s: %w", v.Name, err)
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
			return fmt.Errorf("comment on %s: %w", c.fact, err)
		}
	}

	summary := casescribe.CaseSummary{OrgID: k.OrgID, CaseID: k.ID, UpdatedByID: p.admin.UserID,
		UpdatedByName: p.admin.Name, UpdatedAt: now, Version: 1,
		Text: "John Smith slipped at work on 2025-01-14 and injured his right knee. The MRI of 2025-01-28 " +
			"shows a complex medial meniscus tear; he had an arthroscopic partial meniscectomy on 2025-03-10 " +
			"and is in physical therapy. Open: causation opinion (Gus Ward), operative report, medical lien."}
	if err := st.PutSummary(ctx, summary, k.ClientID, 0); err != nil {
		return fmt.Errorf("summary: %w", err)
	}

	for _, g := range []struct {
		guest  *account
		viewID string
	}{{p.coCounsel, ""}, {p.expert, imaging.ID}} {
		sh := casescribe.Share{OrgID: k.OrgID, ID: ulid.Make().String(), GuestID: g.guest.UserID, GuestName: g.guest.Name,
			GuestEmail: g.guest.Email, Scope: casescribe.ScopeCase, ClientID: k.ClientID, CaseID: k.ID, ViewID: g.viewID,
			Version: 1, CreatedBy: p.admin.UserID, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateShare(ctx, sh); err != nil {
			return fmt.Errorf("share with %s: %w", g.guest.Email, err)
		}
	}
	return nil
}
