/// The actions the audit trail records, by their stored names.
public enum AuditAction {
    public static let taskSubmit = "task.submit"
    public static let taskCancel = "task.cancel"
    public static let executionRun = "execution.run"
    public static let executionCancel = "execution.cancel"
    public static let executionRollback = "execution.rollback"
    public static let executionApprove = "execution.approve"
    public static let executionReject = "execution.reject"
    public static let connectorApply = "connector.apply"
    public static let connectorDelete = "connector.delete"
    public static let connectorTest = "connector.test"
    public static let secretSet = "secret.set"
    public static let secretDelete = "secret.delete"
    public static let tokenCreate = "token.create"
    public static let tokenRevoke = "token.revoke"
    public static let delegateRegister = "delegate.register"
    public static let delegateUnregister = "delegate.unregister"
}
