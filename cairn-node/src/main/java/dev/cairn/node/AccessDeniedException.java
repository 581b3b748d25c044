package dev.cairn.node;

import dev.cairn.CairnException;

/**
 * A secret or a token was refused. The message says why (for the node's own log); what a client is
 * told is the same for every reason, so that it learns nothing about other users.
 */
public class AccessDeniedException extends CairnException {
  private static final long serialVersionUID = 1L;

  public AccessDeniedException(String message) {
    super(message);
  }
}
