# The Cairn node and command line in one image: docker build -t cairn . (docs/node.md, "In a container")
# Stage 1 builds the command line's jar from these sources; stage 2 runs it on a JRE, as a user
# without privileges, with the node's data in a volume.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -q -B -pl cairn-cli -am package -DskipTests

FROM eclipse-temurin:17-jre
RUN groupadd --system cairn && useradd --system --gid cairn --home-dir /var/lib/cairn cairn \
    && mkdir -p /var/lib/cairn && chown cairn:cairn /var/lib/cairn
COPY --from=build /src/cairn-cli/target/cairn.jar /opt/cairn/cairn.jar
COPY LICENSE /opt/cairn/LICENSE
USER cairn
VOLUME /var/lib/cairn
EXPOSE 7070
ENTRYPOINT ["java", "-jar", "/opt/cairn/cairn.jar"]
# The node on every interface of the container; any other cairn command replaces this.
CMD ["serve", "--host", "0.0.0.0", "--port", "7070", "--data", "/var/lib/cairn"]
