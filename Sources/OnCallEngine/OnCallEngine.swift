// OnCallEngine: incident actors, the directory that activates and passivates them, the timer and outbox services.
// Empty until the workflow-engine issue.
