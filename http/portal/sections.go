package portal

// The sections land as the command and read-model layers do.
func (p *Portal) heirRoutes()       {}
func (p *Portal) userRoutes()       {}
func (p *Portal) workerRoutes()     {}
func (p *Portal) backofficeRoutes() {}
func (p *Portal) auditRoutes()      {}
