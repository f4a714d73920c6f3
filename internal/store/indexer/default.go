package indexer

// defaultSummarizer is the tree package's fold once internal/tree provides
// AssembleTrace/SummarizeTrace (see tree_summarizer.go).
var defaultSummarizer Summarizer
