package api

import (
	"net/http"

	"github.com/casescribe/sharing/pkg/casescribe"
)

type userJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

type organizationJSON struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Role casescribe.Role `json:"role"`
}

type meJSON struct {
	User          userJSON           `json:"user"`
	Organizations []organizationJSON `json:"organizations"`
}

// getMe answers the organization picker: who I am and the organizations I can switch to.
// Invitations not yet accepted are not listed: they are reached through their email link.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	profile, memberships, err := s.store.UserMemberships(r.Context(), c.UserID)
	if err != nil {
		return err
	}
	me := meJSON{User: userJSON{ID: c.UserID, Email: c.Email, Name: profile.Name}, Organizations: []organizationJSON{}}
	for _, m := range memberships {
		if m.Status == casescribe.StatusActive {
			me.Organizations = append(me.Organizations, organizationJSON{ID: m.OrgID, Name: m.OrgName, Role: m.Role})
		}
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

type createOrganizationBody struct {
	Name string `json:"name"`
	// YourName is how the founder appears to colleagues; it defaults to the email.
	YourName string `json:"yourName"`
}

// createOrganization creates a firm with the caller as its first admin.
func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body createOrganizationBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	name, err := validName("name", body.Name)
	if err != nil {
		return err
	}
	founder := casescribe.User{ID: c.UserID, Email: c.Email, Name: c.Email}
	if body.YourName != "" {
		if founder.Name, err = validName("yourName", body.YourName); err != nil {
			return err
		}
	}
	org := casescribe.Organization{ID: s.newID(), Name: name, CreatedAt: s.now(), CreatedBy: c.UserID}
	if err := s.store.CreateOrganization(r.Context(), org, founder); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, organizationJSON{ID: org.ID, Name: org.Name, Role: casescribe.RoleAdmin})
	return nil
}
