//! An agent, and a conversation with it: started, then continued.
use mistral_sdk::Client;
use mistral_sdk::models::{ConversationAppendRequest, ConversationRequest, CreateAgentRequest};

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let agent =
        client.beta().agents().create(CreateAgentRequest::new("mistral-small-latest", "librarian").instructions("Answer in one sentence.")).await?;
    println!("agent {}", agent.id);
    let first = client.beta().conversations().start(ConversationRequest::new("Recommend a French novel.").agent_id(agent.id.clone())).await?;
    println!("conversation {}: {} output(s)", first.conversation_id, first.outputs.len());
    let next =
        client.beta().conversations().append(&first.conversation_id, ConversationAppendRequest::default().inputs("And a Spanish one?")).await?;
    println!("{} more output(s), {:?} tokens", next.outputs.len(), next.usage.total_tokens);
    Ok(())
}
