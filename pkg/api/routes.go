package api

import (
	"net/http"

	"github.com/casescribe/sharing/pkg/access"
)

// Route is one HTTP route of the API: one Lambda function in AWS, one pattern of the local
// server, one operation of the OpenAPI document, one function of template.yaml. This table is
// the single list all of them are checked against.
type Route struct {
	// ID is the OpenAPI operationId; the function directory is its kebab-case form.
	ID     string
	Method string
	// Path uses API Gateway's and net/http's shared {param} syntax.
	Path   string
	Action access.Action
	handle handlerFunc
}

// Key is the route as API Gateway names it in events: "GET /clients/{clientId}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// routes is the route table.
var routes = []Route{
	{"getMe", http.MethodGet, "/me", access.ReadProfile, (*Server).getMe},
	{"createOrganization", http.MethodPost, "/orgs", access.CreateOrganization, (*Server).createOrganization},

	{"listClients", http.MethodGet, "/clients", access.ListClients, (*Server).listClients},
	{"createClient", http.MethodPost, "/clients", access.CreateClient, (*Server).createClient},
	{"getClient", http.MethodGet, "/clients/{clientId}", access.ReadClient, (*Server).getClient},
	{"updateClient", http.MethodPatch, "/clients/{clientId}", access.UpdateClient, (*Server).updateClient},
	{"deleteClient", http.MethodDelete, "/clients/{clientId}", access.DeleteClient, (*Server).deleteClient},
	{"listClientCases", http.MethodGet, "/clients/{clientId}/cases", access.ListCases, (*Server).listClientCases},
	{"createCase", http.MethodPost, "/clients/{clientId}/cases", access.CreateCase, (*Server).createCase},

	{"listCases", http.MethodGet, "/cases", access.ListCases, (*Server).listCases},
	{"getCase", http.MethodGet, "/cases/{caseId}", access.ReadCase, (*Server).getCase},
	{"updateCase", http.MethodPatch, "/cases/{caseId}", access.UpdateCase, (*Server).updateCase},
	{"deleteCase", http.MethodDelete, "/cases/{caseId}", access.DeleteCase, (*Server).deleteCase},

	{"listUsers", http.MethodGet, "/users", access.ListUsers, (*Server).listUsers},
	{"getUser", http.MethodGet, "/users/{userId}", access.ReadUser, (*Server).getUser},
	{"updateUser", http.MethodPatch, "/users/{userId}", access.UpdateUser, (*Server).updateUser},
	{"deleteUser", http.MethodDelete, "/users/{userId}", access.RemoveUser, (*Server).deleteUser},

	{"createInvitation", http.MethodPost, "/invitations", access.CreateInvitation, (*Server).createInvitation},
	{"listInvitations", http.MethodGet, "/invitations", access.ListInvitations, (*Server).listInvitations},
	{"resendInvitation", http.MethodPost, "/invitations/{invitationId}/resend", access.ResendInvitation, (*Server).resendInvitation},
	{"deleteInvitation", http.MethodDelete, "/invitations/{invitationId}", access.RevokeInvitation, (*Server).deleteInvitation},
	{"lookupInvitation", http.MethodGet, "/invitations/lookup", access.LookupInvitation, (*Server).lookupInvitation},
	{"acceptInvitation", http.MethodPost, "/invitations/accept", access.AcceptInvitation, (*Server).acceptInvitation},

	{"listCaseShares", http.MethodGet, "/cases/{caseId}/shares", access.ListShares, (*Server).listCaseShares},
	{"createShare", http.MethodPost, "/cases/{caseId}/shares", access.CreateShare, (*Server).createShare},
	{"getShare", http.MethodGet, "/shares/{shareId}", access.ReadShare, (*Server).getShare},
	{"deleteShare", http.MethodDelete, "/shares/{shareId}", access.RemoveShare, (*Server).deleteShare},
	{"previewShareChange", http.MethodPost, "/shares/{shareId}/preview", access.ChangeShare, (*Server).previewShareChange},
	{"updateShare", http.MethodPatch, "/shares/{shareId}", access.ChangeShare, (*Server).updateShare},

	{"getCaseAccessReport", http.MethodGet, "/cases/{caseId}/access-report", access.ReadCaseAccessReport, (*Server).getCaseAccessReport},
	{"getUserAccessReport", http.MethodGet, "/users/{userId}/access-report", access.ReadUserAccessReport, (*Server).getUserAccessReport},

	{"listFacts", http.MethodGet, "/cases/{caseId}/facts", access.ListFacts, (*Server).listFacts},
	{"createFact", http.MethodPost, "/cases/{caseId}/facts", access.CreateFact, (*Server).createFact},
	{"exportFacts", http.MethodGet, "/cases/{caseId}/facts/export", access.ExportFacts, (*Server).exportFacts},
	{"bulkEditFacts", http.MethodPost, "/cases/{caseId}/facts/bulk-edit", access.BulkEditFacts, (*Server).bulkEditFacts},
	{"getFact", http.MethodGet, "/facts/{factId}", access.ReadFact, (*Server).getFact},
	{"updateFact", http.MethodPatch, "/facts/{factId}", access.UpdateFact, (*Server).updateFact},
	{"deleteFact", http.MethodDelete, "/facts/{factId}", access.DeleteFact, (*Server).deleteFact},
	{"addFactTag", http.MethodPost, "/facts/{factId}/tags", access.TagFact, (*Server).addFactTag},
	{"removeFactTag", http.MethodDelete, "/facts/{factId}/tags/{tag}", access.TagFact, (*Server).removeFactTag},
	{"listComments", http.MethodGet, "/facts/{factId}/comments", access.ListComments, (*Server).listComments},
	{"createComment", http.MethodPost, "/facts/{factId}/comments", access.CreateComment, (*Server).createComment},

	{"listViews", http.MethodGet, "/cases/{caseId}/views", access.ListViews, (*Server).listViews},
	{"createView", http.MethodPost, "/cases/{caseId}/views", access.CreateView, (*Server).createView},
	{"updateView", http.MethodPatch, "/views/{viewId}", access.UpdateView, (*Server).updateView},
	{"deleteView", http.MethodDelete, "/views/{viewId}", access.DeleteView, (*Server).deleteView},

	{"listDocuments", http.MethodGet, "/cases/{caseId}/documents", access.ListDocuments, (*Server).listDocuments},
	{"createDocument", http.MethodPost, "/cases/{caseId}/documents", access.UploadDocument, (*Server).createDocument},
	{"getDocument", http.MethodGet, "/documents/{documentId}", access.ReadDocument, (*Server).getDocument},
	{"deleteDocument", http.MethodDelete, "/documents/{documentId}", access.DeleteDocument, (*Server).deleteDocument},

	{"getSummary", http.MethodGet, "/cases/{caseId}/summary", access.ReadSummary, (*Server).getSummary},
	{"putSummary", http.MethodPut, "/cases/{caseId}/summary", access.EditSummary, (*Server).putSummary},

	{"listChats", http.MethodGet, "/cases/{caseId}/chats", access.ListChats, (*Server).listChats},
	{"createChat", http.MethodPost, "/cases/{caseId}/chats", access.CreateChat, (*Server).createChat},
	{"getChat", http.MethodGet, "/chats/{chatId}", access.ReadChat, (*Server).getChat},
	{"postChatMessage", http.MethodPost, "/chats/{chatId}/messages", access.AskAI, (*Server).postChatMessage},
	{"retagFacts", http.MethodPost, "/cases/{caseId}/ai/retag", access.RetagFacts, (*Server).retagFacts},
	{"regroupFacts", http.MethodPost, "/cases/{caseId}/ai/regroup", access.Regroup, (*Server).regroupFacts},

	{"listAudit", http.MethodGet, "/audit", access.ReadAudit, (*Server).listAudit},
	{"verifyAudit", http.MethodGet, "/audit/verify", access.VerifyAudit, (*Server).verifyAudit},
}

// Routes returns a copy of the route table.
func Routes() []Route {
	return append([]Route(nil), routes...)
}

// RouteByKey returns the route API Gateway names key ("GET /clients/{clientId}").
func RouteByKey(key string) (Route, bool) {
	for _, r := range routes {
		if r.Key() == key {
			return r, true
		}
	}
	return Route{}, false
}

// RouteByID returns the route with the given operation id.
func RouteByID(id string) (Route, bool) {
	for _, r := range routes {
		if r.ID == id {
			return r, true
		}
	}
	return Route{}, false
}

// NeedOf returns what the route API Gateway names key needs. An unknown route needs the most.
func NeedOf(key string) access.Need {
	if r, ok := RouteByKey(key); ok {
		return r.Action.Needs()
	}
	return access.NeedOrganization
}
