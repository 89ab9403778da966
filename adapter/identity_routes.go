package adapter

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/core"
)

// The identity admin API (billing manual §2.5 and §9.1), in Keystone's
// shapes. Who may do what:
//   - a cloud admin (role admin), everything;
//   - a department admin (role department_admin in a project of department D,
//     the token scoped there), projects, users and roles inside D, never the
//     admin role;
//   - a project admin, the member and project_admin roles in that project for
//     users of its department;
//   - anyone, an access key for themselves, and the list of their own department.

func (s *Server) identityRoutes() {
	g := s.echo.Group("/v1/identity", s.authenticated, s.doc.validate)
	g.POST("/departments", s.createDepartment)
	g.GET("/departments", s.listDepartments)
	g.POST("/projects", s.createProject)
	g.GET("/projects", s.listProjects)
	g.POST("/users", s.createUser)
	g.GET("/users", s.listUsers)
	g.PUT("/projects/:project_id/users/:user_id/roles/:role", s.grantRole)
	g.DELETE("/projects/:project_id/users/:user_id/roles/:role", s.revokeRole)
	g.POST("/users/:user_id/access-keys", s.createAccessKey)
}

func callerOf(c echo.Context) *identity.Token { return c.Get("identity").(*identity.Token) }

func isCloudAdmin(t *identity.Token) bool { return t.HasRole(identity.RoleAdmin) }

// departmentAdminOf reports whether t is scoped as department admin of dept.
func departmentAdminOf(t *identity.Token, dept string) bool {
	return t.Project != nil && t.Project.DepartmentID == dept && t.HasRole(identity.RoleDepartmentAdmin)
}

func forbidden(what string) error {
	return core.Errorf(core.PermissionDenied, "your roles do not allow %s", what)
}

type departmentView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreatedAt   string `json:"created_at"`
}

func viewDepartment(d identity.Department) departmentView {
	return departmentView{ID: d.ID, Name: d.Name, Description: d.Description, CreatedAt: d.CreatedAt.UTC().Format(TimeFormat)}
}

type projectView struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	DepartmentID string `json:"department_id"`
	CreatedAt    string `json:"created_at"`
}

func viewProject(p identity.Project) projectView {
	return projectView{ID: p.ID, Name: p.Name, DepartmentID: p.DepartmentID, CreatedAt: p.CreatedAt.UTC().Format(TimeFormat)}
}

type userView struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Domain       string `json:"domain"`
	DepartmentID string `json:"department_id"`
	CreatedAt    string `json:"created_at"`
}

func viewUser(u identity.User) userView {
	return userView{ID: u.ID, Name: u.Name, Domain: u.Domain, DepartmentID: u.DepartmentID, CreatedAt: u.CreatedAt.UTC().Format(TimeFormat)}
}

func (s *Server) createDepartment(c echo.Context) error {
	if !isCloudAdmin(callerOf(c)) {
		return forbidden("creating a department")
	}
	var req struct {
		Department *struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"department"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Department == nil {
		return core.Errorf(core.InvalidArgument, "department: is required")
	}
	d, err := s.ids.CreateDepartment(c.Request().Context(), req.Department.Name, req.Department.Description)
	if err != nil {
		return err
	}
	if s.billing != nil {
		// BL.8: a department's account comes with it. Were this to fail the
		// account would still be made by its first charge or by the start-up
		// sweep (cmd/gisiaas), so the department stands.
		if err := s.billing.CreateAccount(c.Request().Context(), d.ID); err != nil {
			c.Logger().Warnf("billing account for department %s: %v", d.ID, err)
		}
	}
	return c.JSON(http.StatusCreated, map[string]any{"department": viewDepartment(d)})
}

func (s *Server) listDepartments(c echo.Context) error {
	ctx := c.Request().Context()
	who := callerOf(c)
	out := []departmentView{}
	if isCloudAdmin(who) {
		ds, err := s.ids.ListDepartments(ctx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			out = append(out, viewDepartment(d))
		}
	} else {
		d, err := s.ids.GetDepartment(ctx, who.User.DepartmentID)
		if err != nil {
			return err
		}
		out = append(out, viewDepartment(d))
	}
	return c.JSON(http.StatusOK, map[string]any{"departments": out})
}

// scopeDepartment decides which department a list covers: a cloud admin any
// (or all, ""), a department admin only theirs.
func scopeDepartment(who *identity.Token, asked string) (string, error) {
	if isCloudAdmin(who) {
		return asked, nil
	}
	if who.Project != nil && who.HasRole(identity.RoleDepartmentAdmin) && (asked == "" || asked == who.Project.DepartmentID) {
		return who.Project.DepartmentID, nil
	}
	return "", forbidden("listing this department's identities")
}

func (s *Server) createProject(c echo.Context) error {
	var req struct {
		Project *struct {
			Name         string `json:"name"`
			DepartmentID string `json:"department_id"`
		} `json:"project"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Project == nil {
		return core.Errorf(core.InvalidArgument, "project: is required")
	}
	who := callerOf(c)
	if !isCloudAdmin(who) && !departmentAdminOf(who, req.Project.DepartmentID) {
		return forbidden("creating a project in this department")
	}
	p, err := s.ids.CreateProject(c.Request().Context(), req.Project.Name, req.Project.DepartmentID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"project": viewProject(p)})
}

func (s *Server) listProjects(c echo.Context) error {
	dept, err := scopeDepartment(callerOf(c), c.QueryParam("department_id"))
	if err != nil {
		return err
	}
	ps, err := s.ids.ListProjects(c.Request().Context(), dept)
	if err != nil {
		return err
	}
	out := make([]projectView, 0, len(ps))
	for _, p := range ps {
		out = append(out, viewProject(p))
	}
	return c.JSON(http.StatusOK, map[string]any{"projects": out})
}

func (s *Server) createUser(c echo.Context) error {
	var req struct {
		User *struct {
			Name         string `json:"name"`
			Password     string `json:"password"`
			DepartmentID string `json:"department_id"`
		} `json:"user"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.User == nil {
		return core.Errorf(core.InvalidArgument, "user: is required")
	}
	who := callerOf(c)
	if !isCloudAdmin(who) && !departmentAdminOf(who, req.User.DepartmentID) {
		return forbidden("creating a user in this department")
	}
	u, err := s.ids.CreateUser(c.Request().Context(), req.User.Name, req.User.Password, req.User.DepartmentID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": viewUser(u)})
}

func (s *Server) listUsers(c echo.Context) error {
	dept, err := scopeDepartment(callerOf(c), c.QueryParam("department_id"))
	if err != nil {
		return err
	}
	us, err := s.ids.ListUsers(c.Request().Context(), dept)
	if err != nil {
		return err
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

// mayAssign decides whether who may grant or revoke role on project p for user u.
func mayAssign(who *identity.Token, p identity.Project, u identity.User, role identity.Role) bool {
	if isCloudAdmin(who) {
		return true
	}
	if u.DepartmentID != p.DepartmentID || role == identity.RoleAdmin {
		return false
	}
	if departmentAdminOf(who, p.DepartmentID) {
		return true
	}
	ownProject := who.Project != nil && who.Project.ID == p.ID && who.HasRole(identity.RoleProjectAdmin)
	return ownProject && (role == identity.RoleMember || role == identity.RoleProjectAdmin)
}

func (s *Server) roleTarget(c echo.Context) (identity.Project, identity.User, identity.Role, error) {
	ctx := c.Request().Context()
	role := identity.Role(c.Param("role"))
	if !role.Valid() {
		return identity.Project{}, identity.User{}, "", core.Errorf(core.InvalidArgument, "role: %q is not one of admin, department_admin, project_admin, member", role)
	}
	p, err := s.ids.GetProject(ctx, c.Param("project_id"))
	if err != nil {
		return identity.Project{}, identity.User{}, "", err
	}
	u, err := s.ids.GetUser(ctx, c.Param("user_id"))
	if err != nil {
		return identity.Project{}, identity.User{}, "", err
	}
	if !mayAssign(callerOf(c), p, u, role) {
		return identity.Project{}, identity.User{}, "", forbidden("assigning this role")
	}
	return p, u, role, nil
}

func (s *Server) grantRole(c echo.Context) error {
	p, u, role, err := s.roleTarget(c)
	if err != nil {
		return err
	}
	if err := s.ids.GrantRole(c.Request().Context(), p.ID, u.ID, role); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) revokeRole(c echo.Context) error {
	p, u, role, err := s.roleTarget(c)
	if err != nil {
		return err
	}
	if err := s.ids.RevokeRole(c.Request().Context(), p.ID, u.ID, role); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// createAccessKey makes a key pair for a user: themselves, or a cloud admin
// for anyone. The secret is in this answer only.
func (s *Server) createAccessKey(c echo.Context) error {
	who := callerOf(c)
	uid := c.Param("user_id")
	if who.User.ID != uid && !isCloudAdmin(who) {
		return forbidden("creating another user's access key")
	}
	k, err := s.ids.CreateAccessKey(c.Request().Context(), uid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"access_key": map[string]string{
		"id": k.ID, "secret": k.Secret, "user_id": k.UserID, "created_at": k.CreatedAt.UTC().Format(TimeFormat)}})
}
