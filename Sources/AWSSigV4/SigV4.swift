/// AWS Signature Version 4 signing (placeholder until the signer lands).
public enum SigV4 {}
