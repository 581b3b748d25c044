package dev.cairn.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;

/** What the console's routes share: JSON, a request's body and numbers in its query. */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();

  private Api() {}

  /** The request's body as a JSON object; {@code shape} says what it should be, for the error. */
  static JsonNode objectBody(Context ctx, String shape) {
    JsonNode body;
    try {
      body = JSON.readTree(ctx.body());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the body is not JSON; it is " + shape);
    }
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("the body is " + shape);
    }
    return body;
  }

  /** The query parameter {@code name}: a number from 0 to {@code max}, or {@code fallback}. */
  static int intParam(Context ctx, String name, int fallback, int max) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < 0 || n > max) {
        throw new IllegalArgumentException(name + " is 0 to " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number");
    }
  }

  /** The query parameter {@code name}, which must be there. */
  static String required(Context ctx, String name) {
    String v = ctx.queryParam(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("the query needs " + name);
    }
    return v;
  }
}
